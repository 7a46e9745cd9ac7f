"""Running the bridge: settings, wiring the parts, the lifecycle, the `check` command."""

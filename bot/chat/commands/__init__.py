"""The built-in chat commands, one module per group, all listed in `registry`."""

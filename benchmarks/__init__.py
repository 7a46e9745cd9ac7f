"""Benchmarks of every hot path: `python -m benchmarks.run` (or `make bench`)."""

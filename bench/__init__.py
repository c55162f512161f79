"""Benchmarks: `make bench` runs `bench/performance.py`, which writes docs/performance.md."""

"""Digit Lab benchmarks: `python -m bench [--quick]` (or `make bench [QUICK=1]`)."""

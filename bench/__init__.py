"""Benchmarks: ``python -m bench`` prints figures measured on this machine."""

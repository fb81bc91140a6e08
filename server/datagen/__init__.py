"""Synthetic policies and visit needs for the demo, tests and benchmarks (never real customers)."""

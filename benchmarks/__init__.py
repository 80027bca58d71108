"""Measured claims. ``python -m benchmarks`` (``make bench``) runs them and writes docs/benchmarks/.

Timings are ratios against a baseline run in the same process; no test depends on them.
"""

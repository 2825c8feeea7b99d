# SPDX-License-Identifier: MIT
"""benchlib - the modules behind scripts/bench.py, one per verb (README: Benchmarks)."""

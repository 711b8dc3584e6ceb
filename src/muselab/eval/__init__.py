"""Benchmarks of muselab's retrieval and task identification (formats as in ../shared/data/bench)."""

"""Benchmarks of the engine against raw SpiffWorkflow, run with ``python -m bench``.

Every run measures the library and Terpadu side by side, in the same process
and on the same diagram, so that a noisy machine moves both figures together.
Results are printed with their targets; the last line is one JSON object.

This package may import the engine and SQLAlchemy; it is never imported by the
engine, the API or the tests, and nothing in it asserts on timings. It creates
and drops its own PostgreSQL database (``terpadu_bench``).
"""

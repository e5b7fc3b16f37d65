"""Terpadu's engine: SpiffWorkflow wrapped for durable, concurrent, safe use.

What lives here: checking and deploying diagrams (``diagrams``, ``safe_xml``),
the restricted environment their scripts run in (``sandbox``), instances and
their agency tasks (``instances``, ``state``, ``models``), the audit chain
(``audit``) and the working-day calendar (``calendar``).

This package may import SQLAlchemy, SpiffWorkflow, RestrictedPython, lxml and
``holidays``; it must never import Flask, RQ or Redis. Callers hand it a
SQLAlchemy session and whatever policies they want (deadlines, listeners).
"""

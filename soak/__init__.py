"""A soak test: Terpadu under gunicorn on its own PostgreSQL database.

``python -m soak`` (``make soak``) builds a throwaway database, serves it with
gunicorn and drives mixed traffic at it from a separate process; see README.md.
It may import everything (``api``, ``processes``); nothing imports it.
"""

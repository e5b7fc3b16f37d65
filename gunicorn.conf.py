"""Gunicorn settings for Terpadu: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The access log names the path (``%(U)s``) but never the query string: the
deprecated ``GET /api/v1/track/<number>?nik=`` carries a resident's NIK there,
and an access log is kept longer and read more widely than the database.
Workers, bind address and the rest stay on the command line or in
``GUNICORN_CMD_ARGS``. ``MALLOC_ARENA_MAX`` cannot be set here: glibc reads it
when the master starts, before this file runs, and workers are forked from the
master without starting anew; put it in the environment (see the README).
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'

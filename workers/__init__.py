"""Terpadu's background work: agency queues, service-task connectors, timers.

What lives here: the outbox that carries dispatches from a database
transaction to RQ (``outbox``), the queues and the in-process fallback used
when no ``REDIS_URL`` is set (``queues``), connectors that service tasks call
(``connectors``), the jobs themselves (``jobs``), the periodic tick that fires
timers, sweeps SLAs and relays the outbox (``periodic``), resident
notifications (``notifications``) and the Flask wiring (``wiring``, ``cli``).

This package may import ``engine``, ``api`` (for the app factory and its
``db``), RQ and Redis. ``engine`` never imports it: the wiring hands the
engine listeners and a deadline policy.
"""

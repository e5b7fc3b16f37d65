"""The RQ worker class to run: ``rq worker -w workers.rq_worker.AppWorker ...``.

It builds the Flask app once, before forking, so each job's work horse
inherits the imported engine and app instead of spending seconds on imports.
No database connection is opened before the fork, so none is shared.
"""

from __future__ import annotations

from rq.worker import Worker


class AppWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        from . import jobs

        jobs._the_app()

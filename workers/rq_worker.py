"""The RQ worker class to run: ``rq worker -w workers.rq_worker.AppWorker ...``.

It builds the Flask app once, at start, so jobs find the engine and the app
imported. Jobs that only touch the database (dispatching tasks to their
agency, the periodic tick) run in the worker process itself, on its pooled
database connections: forking a work horse and connecting anew would cost
several times the job. Connector calls reach other agencies' systems, which
may hang or crash, so each still runs in a forked work horse that the worker
can kill at its timeout; the horse drops the database connections it
inherited before it opens its own.
"""

from __future__ import annotations

from rq.job import Job
from rq.queue import Queue
from rq.worker import Worker, WorkerStatus

# Jobs that run in the worker process: database work only, bounded by their
# job timeout all the same (RQ's SIGALRM death penalty works in either).
# dispatch_task is the single-task job queued before dispatches were batched.
IN_PROCESS_JOBS = frozenset(
    {
        "workers.jobs.dispatch_tasks",
        "workers.jobs.dispatch_task",
        "workers.periodic.tick",
    }
)


class AppWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        from . import jobs

        jobs._the_app()

    def execute_job(self, job: Job, queue: Queue) -> None:
        if job.func_name not in IN_PROCESS_JOBS:
            super().execute_job(job, queue)
            return

        self.prepare_execution(job)
        self.perform_job(job, queue)
        self.set_state(WorkerStatus.IDLE)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        _forget_inherited_connections()
        super().main_work_horse(job, queue)


def _forget_inherited_connections() -> None:
    """Let the pool the horse inherited go without closing the parent's sockets."""
    from api.extensions import db

    from . import jobs

    with jobs._the_app().app_context():
        db.engine.dispose(close=False)

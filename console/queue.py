"""The counter queue: the kiosk's ticket button, the clerk's call, the hall screen.

Taking a ticket is public (a kiosk in the hall, no JavaScript needed);
calling the next number needs a counter clerk's bearer token; the screen
polls ``/console/queue/<counter>/state`` for the number called last.
"""

from __future__ import annotations

from flask import abort, render_template

from api.auth import current_user, requires
from api.extensions import db
from api.models import Role
from processes.queue_tickets import call_next, queue_state, take_ticket, valid_counter

from .views import blueprint

POLL_SECONDS = 3


def _checked(counter: str) -> str:
    if not valid_counter(counter):
        abort(404)

    return counter.upper()


@blueprint.get("/queue/<counter>")
def queue_kiosk(counter: str):
    return render_template(
        "console/queue_kiosk.html", page="queue", counter=_checked(counter), ticket=None
    )


@blueprint.post("/queue/<counter>/take")
def take_queue_ticket(counter: str):
    """Hand out the counter's next number and show it as a ticket to print."""
    ticket = take_ticket(db.session, _checked(counter))
    page = render_template(
        "console/queue_kiosk.html", page="queue", counter=ticket.counter, ticket=ticket
    )
    return page, 201


@blueprint.post("/queue/<counter>/next")
@requires(Role.COUNTER)
def call_next_ticket(counter: str):
    """Call the earliest waiting number; ``number`` is null when nobody waits."""
    counter = _checked(counter)
    ticket = call_next(db.session, counter, current_user().name)
    state = queue_state(db.session, counter)
    return {
        "counter": counter,
        "number": ticket.number if ticket else None,
        "waiting": state["waiting"],
    }


@blueprint.get("/queue/<counter>/state")
def queue_now(counter: str):
    counter = _checked(counter)
    return {"counter": counter, **queue_state(db.session, counter)}


@blueprint.get("/queue/<counter>/screen")
def queue_screen(counter: str):
    counter = _checked(counter)
    return render_template(
        "console/queue_screen.html",
        page="queue",
        counter=counter,
        poll_seconds=POLL_SECONDS,
        **queue_state(db.session, counter),
    )

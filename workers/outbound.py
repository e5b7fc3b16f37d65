"""POSTs to systems outside Terpadu: agencies' back offices, the SMS gateway.

Both are called from jobs and the tick, never while a request waits, and
share one contract: a bounded wait, no redirects, and anything but a 2xx
answer is a failure the caller leaves for a later try.
"""

from __future__ import annotations

# A system slower than this is treated as down; the message goes again later.
TIMEOUT_SECONDS = 10


class OutboundFailed(RuntimeError):
    """The other system did not take the message; it stays for a later try."""


def post(url: str, *, body: bytes, headers: dict[str, str]) -> None:
    """POST ``body`` to ``url``; raise OutboundFailed unless it answers 2xx."""
    # Imported here: API processes never call out, and are spared the HTTP
    # client's memory.
    import requests

    try:
        answer = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            # A redirect would resend the message somewhere nobody chose.
            allow_redirects=False,
        )
    except requests.RequestException as failure:
        reason = type(failure).__name__
        raise OutboundFailed(f"{url} did not answer: {reason}") from failure
    if not 200 <= answer.status_code < 300:
        raise OutboundFailed(f"{url} answered {answer.status_code}")

"""The hand-modelled multi-agency flows, one module per area of the Mall.

Their lanes are agency codes. Thirteen follow domain.md section 5 step by step;
``spatial_conformity``, ``health_coverage`` and ``religious_court_case`` serve
catalogue services whose agencies fit none of the patterns.
"""

from __future__ import annotations

from processes.drafting import ProcessDraft
from processes.flows import (
    civil_registry,
    courts_and_land,
    hajj,
    health,
    licensing,
    transport,
    utilities,
)


def drafts() -> list[ProcessDraft]:
    return [
        *civil_registry.drafts(),
        *licensing.drafts(),
        *transport.drafts(),
        *hajj.drafts(),
        *courts_and_land.drafts(),
        *utilities.drafts(),
        *health.drafts(),
    ]

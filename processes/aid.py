"""Aid programmes: services whose grant makes a resident a beneficiary.

No resident may receive overlapping help (the regency's lesson from pandemic
aid): while someone is a beneficiary of one programme, or has an application
for it under way, applications for another programme are refused. Which
services grant which programme is data, in ``data/aid_programmes.csv``.

Known limit: a grant counts for as long as its application exists; the date a
programme ends for a resident is not recorded yet, so ending aid means
cancelling or rejecting its application.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

AID_PROGRAMMES_CSV = Path(__file__).parent / "data" / "aid_programmes.csv"


@cache
def aid_programmes(path: Path = AID_PROGRAMMES_CSV) -> dict[str, str]:
    """Service code -> the name of the aid programme it grants."""
    with path.open(newline="", encoding="utf-8") as rows:
        return {row["service_code"]: row["programme"] for row in csv.DictReader(rows)}


def other_programmes(service_code: str) -> dict[str, str]:
    """The aid services that overlap ``service_code``; empty if it grants no aid."""
    programmes = aid_programmes()
    if service_code not in programmes:
        return {}

    return {code: name for code, name in programmes.items() if code != service_code}

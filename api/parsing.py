"""Reading requests: JSON bodies and query strings through their schemas."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema
from sqlalchemy import Select, func, select

from .extensions import db


def json_body(schema: Schema) -> dict[str, Any]:
    """Load the JSON body; malformed JSON is a 400, bad fields a 422."""
    payload = request.get_json()
    return schema.load(payload)


def query_args(schema: Schema) -> dict[str, Any]:
    return schema.load(request.args.to_dict())


def page(
    query: Select, args: dict[str, Any], count: Select | None = None
) -> tuple[list[Any], int]:
    """Return one page of ``query``'s rows (``page``, ``per_page``) and the total.

    ``count`` is a cheaper query for the same total, when the caller has one.
    """
    if count is None:
        count = select(func.count()).select_from(query.subquery())
    total = db.session.scalar(count)
    offset = (args["page"] - 1) * args["per_page"]
    rows = db.session.execute(query.offset(offset).limit(args["per_page"])).all()
    return rows, total or 0


def paged(items: list[Any], total: int, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": items,
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
    }

"""The one place where errors become HTTP responses.

Every error leaves the API as ``{code, message, errors}``: ``code`` is the
HTTP status, ``message`` a sentence for people, ``errors`` a list naming each
bad field (``{field, message}``) or diagram element (``{file, element_id,
line, message}``). Views never build error payloads themselves.

A database that cannot be reached is a 503 with ``Retry-After``: the request's
transaction was rolled back, so it may be sent again once the database is back
(unless the connection broke during the commit itself, which no server can tell).
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import (
    Conflict,
    DiagramInvalid,
    EngineError,
    InvalidLaneBinding,
    MigrationRefused,
    NotFound,
)
from processes.applications import ApplicationRefused

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error raised by the API layer itself, with its status."""

    status = 400

    def __init__(self, message: str, errors: list[dict] | None = None):
        self.message = message
        self.errors = errors or []
        super().__init__(message)


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class Missing(ApiError):
    status = 404


class Unprocessable(ApiError):
    status = 422


class AlreadyExists(ApiError):
    status = 409


_ENGINE_STATUS = {
    NotFound: 404,
    Conflict: 409,
    MigrationRefused: 409,
    DiagramInvalid: 422,
    InvalidLaneBinding: 422,
}


RETRY_AFTER_SECONDS = 5


def register_error_handler(app: Flask) -> None:
    app.register_error_handler(Exception, render_error)


def render_error(error: Exception):
    status, message, errors = _describe(error)
    response = jsonify(code=status, message=message, errors=errors)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _describe(error: Exception) -> tuple[int, str, list[dict]]:
    if isinstance(error, ApiError):
        return error.status, error.message, error.errors
    if isinstance(error, ValidationError):
        return 422, "the request has invalid fields", _field_errors(error.messages)
    if isinstance(error, ApplicationRefused):
        return 422, error.message, [{"field": error.field, "message": error.message}]
    if isinstance(error, EngineError):
        return _engine_error(error)
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return error.code or 500, error.description or error.name, []
    if _database_unreachable(error):
        # The type only: the driver's message can quote statement parameters.
        logger.warning("database unreachable", extra={"error": type(error).__name__})
        return 503, "the database is unavailable; try again shortly", []

    logger.exception("unhandled error", exc_info=error)
    return 500, "internal error; it has been logged", []


def _database_unreachable(error: Exception) -> bool:
    if isinstance(error, (OperationalError, DisconnectionError)):
        return True

    return isinstance(error, DBAPIError) and error.connection_invalidated


def _engine_error(error: EngineError) -> tuple[int, str, list[dict]]:
    status = next(
        (code for kind, code in _ENGINE_STATUS.items() if isinstance(error, kind)),
        500,
    )
    if status == 500:
        logger.error("engine error without a status", exc_info=error)
        return status, "internal error; it has been logged", []
    if isinstance(error, DiagramInvalid):
        problems = [
            {
                "file": p.file,
                "element_id": p.element_id,
                "line": p.line,
                "message": p.message,
            }
            for p in error.problems
        ]
        return status, "the diagram was refused", problems

    return status, str(error), []


def _field_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested messages into ``{field, message}`` pairs."""
    if isinstance(messages, list):
        return [{"field": prefix or "_body", "message": str(m)} for m in messages]

    errors = []
    for key, value in messages.items():
        field = str(key) if key != "_schema" else ""
        path = ".".join(part for part in (prefix, field) if part)
        errors += _field_errors(value, path)
    return errors

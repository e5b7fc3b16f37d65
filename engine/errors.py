"""Errors raised by the engine.

Every error derives from :class:`EngineError` and carries the structured
fields an operator needs (diagram file, element id, line, instance id, task
id). ``retryable`` tells a worker whether trying again can help.
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""

    retryable = False


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, located as precisely as we can."""

    file: str
    element_id: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.message}"


class DiagramInvalid(EngineError):
    """A diagram was refused; ``problems`` lists everything found wrong."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        summary = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(f"diagram refused: {summary}{more}")


class ScriptRefused(EngineError):
    """A script or expression does not compile in the restricted environment."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


class ScriptFailed(EngineError):
    """A script or expression raised, ran too long or grew too large."""


class NotFound(EngineError):
    """The process, version, instance or task asked for does not exist."""


class Conflict(EngineError):
    """The request contradicts the current state (claimed, completed, ...)."""


class StaleInstance(Conflict):
    """Another transaction changed the instance first; a retry can help."""

    retryable = True


class MigrationRefused(EngineError):
    """An instance cannot move to the requested process version."""


class InvalidLaneBinding(EngineError):
    """A role lane was left unbound or bound to an unknown agency."""

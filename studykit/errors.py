"""The exception family studykit raises; the CLI maps each to a message and an exit code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in an input file: path and 1-based line (and column when known)."""

    path: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class StudykitError(Exception):
    """Base class: something the user can fix. Exit code 2 unless a subclass says otherwise."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class UsageError(StudykitError):
    """Bad command-line usage: unknown id, bad --param, bad option value."""


class InputError(StudykitError):
    """A file the user wrote is malformed or inconsistent."""


class ValidationErrors(StudykitError):
    """Several problems found in one pass; all are reported together, one per line."""

    def __init__(self, errors: Iterable[StudykitError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class WorkspaceNotFound(StudykitError):
    """No studykit.yaml in the folder or any parent."""


class VerifierFailed(StudykitError):
    """A verifier raised or returned an answer of the wrong kind; the work ran and found failures."""

    exit_code = 1


def raise_collected(errors: list[StudykitError]) -> None:
    """Fail once with every collected error, or return when there are none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)

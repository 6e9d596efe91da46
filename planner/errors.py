"""Errors planner raises on purpose, each with its documented exit code.

The CLI maps every `PlannerError` to one line on stderr and `exit_code`; anything else is a bug
(exit 1, traceback only with ``--debug``). The table is in docs/exit-codes.md.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base of planner's expected errors."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class InputError(PlannerError):
    """A file, option or value the user gave cannot be used."""

    exit_code = 3


class UsageError(InputError):
    """Options that cannot go together, or a required one that is missing (a usage error, like typer's own)."""

    exit_code = 2


class NotFoundError(PlannerError):
    """A snapshot, file or object the user named does not exist."""

    exit_code = 4


class ConnectError(PlannerError):
    """A server could not be reached, or the connection was lost."""

    exit_code = 5


class AuthenticationError(PlannerError):
    """The server rejected the credentials."""

    exit_code = 6


class TlsError(PlannerError):
    """The server's certificate could not be verified."""

    exit_code = 7


class PermissionDeniedError(PlannerError):
    """The account may not read some objects."""

    exit_code = 8


class StoreError(PlannerError):
    """The snapshot store cannot be opened, read or written."""

    exit_code = 9


class ExecutionError(PlannerError):
    """An external tool planner drives (docker, ansible, dot, a linter) failed."""

    exit_code = 10


class OutputConflictError(PlannerError):
    """An output folder exists and was not made by planner (no manifest): refused without --force."""

    exit_code = 12


class VerificationFailed(PlannerError):
    """`planner verify`: at least one image did not build, run or answer like its VM (the report says which)."""

    exit_code = 11

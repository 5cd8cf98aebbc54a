"""The ``chanwatch`` command's exit statuses: one table from the error vocabulary
(:mod:`storage.errors`) to exit statuses, and the last-resort handler.

=====  ==============================================================
0      success
1      refused (role, policy on people), conflict (the state does not
       allow it), or a failure (database damaged/full/read-only, a peer
       that does not answer); also ``evidence verify``: NOT VERIFIED
2      invalid input (arguments, files, settings, limits) or not found
70     internal error: a bug; one line with an incident id, whose
       traceback is in the log (event ``unexpected error``)
130    interrupted (Ctrl-C)
=====  ==============================================================

The README's "Exit statuses" table is this one. Error messages are one line on
stderr, ``chanwatch: error: <message>``; the message is the error's own, which
never holds a secret.
"""

from __future__ import annotations

import secrets
import sys
import traceback
from typing import Final, TextIO

import structlog

from storage.errors import (
    ChanwatchError,
    Conflict,
    InvalidInput,
    NotFound,
    Refused,
    lookup,
)

PROG: Final = "chanwatch"

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_INVALID: Final = 2
EXIT_INTERNAL: Final = 70  # sysexits.h EX_SOFTWARE
EXIT_INTERRUPTED: Final = 130

#: Category (or, for a failure, the root) -> exit status. The one table.
EXIT_STATUS: Final[dict[type[ChanwatchError], int]] = {
    InvalidInput: EXIT_INVALID,
    NotFound: EXIT_INVALID,
    Refused: EXIT_FAILED,
    Conflict: EXIT_FAILED,
    ChanwatchError: EXIT_FAILED,
}

#: The audit event the last-resort handler raises (``sys.audit``): the test
#: suite listens for it and fails a test in which it fires.
INCIDENT_AUDIT_EVENT: Final = "chanwatch.unexpected_error"


def exit_status(exc: ChanwatchError) -> int:
    """The exit status of an error of the vocabulary."""
    status = lookup(EXIT_STATUS, exc)
    return EXIT_FAILED if status is None else status


def one_line(message: str) -> str:
    return " ".join(message.split())


def fail(stderr: TextIO, message: str, status: int) -> int:
    """Write ``chanwatch: error: <message>`` as one line; return ``status``."""
    stderr.write(f"{PROG}: error: {one_line(message)}\n")
    return status


def report(stderr: TextIO, exc: ChanwatchError) -> int:
    """One line for an error of the vocabulary; its exit status."""
    return fail(stderr, str(exc) or type(exc).__name__, exit_status(exc))


def last_resort(stderr: TextIO, exc: BaseException, command: str | None) -> int:
    """An exception that is not a :class:`ChanwatchError`: a bug.

    The user gets one line with an incident id; the log gets the same id with
    the exception and its traceback (never the console line: an exception's
    text may hold anything).
    """
    incident = secrets.token_hex(4)
    structlog.get_logger(__name__).error(
        "unexpected error",
        incident=incident,
        command=command,
        error_type=type(exc).__name__,
        traceback="".join(traceback.format_exception(exc)),
    )
    sys.audit(INCIDENT_AUDIT_EVENT, incident, command, exc)
    return fail(
        stderr,
        f"internal error (incident {incident}): chanwatch did not expect this; the log "
        f"holds the details under incident {incident} (please report it)",
        EXIT_INTERNAL,
    )

"""Who is at the terminal: authentication for state-changing CLI commands.

A personal API token in ``CHANWATCH_TOKEN`` is used when set (scripts);
otherwise, on a terminal, the username (``CHANWATCH_USER`` or a prompt) and a
password typed without echo. A refusal is audited with the command it was for
and raised as :class:`AccessDenied` with a message that says what to do. A
successful login is audited (``auth.login``) and so recorded in the evidence
ledger as a ``login`` record.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from access.roles import AccessDenied
from access.users import Users
from storage.access_models import User

TOKEN_ENV = "CHANWATCH_TOKEN"  # noqa: S105 - the variable name, not a token
USER_ENV = "CHANWATCH_USER"

Prompt = Callable[[str], str]


def _ask_line(prompt: str, stream: TextIO) -> str:
    stream.write(prompt)
    stream.flush()
    return sys.stdin.readline().strip()


async def authenticate(
    users: Users,
    role: str | tuple[str, ...] | None,
    command: str,
    *,
    env: Mapping[str, str] | None = None,
    interactive: bool | None = None,
    ask_password: Prompt = getpass.getpass,
    ask_line: Callable[[str], str] | None = None,
    prompt_stream: TextIO = sys.stderr,
    stdin_login: str | None = None,
    record: bool = True,
) -> User:
    """The authenticated, active user, holding ``role`` (one of them when a
    tuple; any role when None).

    ``stdin_login``: a username whose password is the first line of standard
    input (``--password-stdin``: scripts without a terminal); it takes
    precedence over ``CHANWATCH_TOKEN``. ``record=False`` (a database open for
    reading only) audits neither the login nor a refusal: nothing can be written.
    """
    environ = os.environ if env is None else env
    token = "" if stdin_login is not None else environ.get(TOKEN_ENV, "").strip()
    if stdin_login is not None:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise AccessDenied("refused: --password-stdin: no password on standard input")
        user = await users.by_password(stdin_login, password)
    elif token:
        user = await users.by_token(token)
    else:
        tty = sys.stdin.isatty() if interactive is None else interactive
        if not tty:
            if record:
                await users.refuse("unknown", command, "no credentials")
            raise AccessDenied(
                f"refused: `{command}` needs a logged-in user: set {TOKEN_ENV} to a "
                "personal API token (get one without a terminal with `chanwatch user "
                "token NAME --password-stdin` and your password on standard input, or "
                "from an admin: `chanwatch user token NAME`), or run it on a terminal "
                "to log in with your password"
            )
        name = environ.get(USER_ENV, "").strip()
        if not name:
            name = (ask_line or (lambda p: _ask_line(p, prompt_stream)))("chanwatch user: ")
        password = ask_password(f"password for {name}: ")
        user = await users.by_password(name, password)
    wanted = (role,) if isinstance(role, str) else role
    if wanted is not None and not set(wanted) & set(user.roles):
        needed = " or ".join(repr(r) for r in wanted)
        why = f"lacks the role {needed} (has: {', '.join(user.roles)})"
        if record:
            await users.refuse(user.username, command, why)
        raise AccessDenied(f"refused: user {user.username!r} {why}, needed for `{command}`")
    if record:
        await users.logged_in(user.username, "token" if token else "password", command)
    return user


def command_name(parts: Mapping[str, object]) -> str:
    """``watch approve`` from an argparse namespace's ``command``/``*_command`` values."""
    words = [str(parts.get("command") or "")]
    words += [str(v) for k, v in parts.items() if k.endswith("_command") and isinstance(v, str)]
    return " ".join(w for w in words if w) or "chanwatch"

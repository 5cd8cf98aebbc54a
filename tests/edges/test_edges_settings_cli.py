"""Bad settings and bad command-line arguments: one line naming the setting or the
argument, exit status 2, no secret echoed, and the database as it was."""

from __future__ import annotations

import pytest
from edges_support import Workspace

SECRET = "T0KEN-s3cr3t"

#: (name, environment, TOML file content or None, what the line says)
SETTINGS: list[tuple[str, dict[str, str], str | None, str]] = [
    ("duration", {"CHANWATCH_ALERTS__DUE": "99999999999d"}, None,
     "setting alerts.due (CHANWATCH_ALERTS__DUE): duration 99999999999d is out of range"),
    ("duration-iso", {"CHANWATCH_HOTLINE__DUE_WARNING": "P99999999999D"}, None,
     "setting hotline.due_warning (CHANWATCH_HOTLINE__DUE_WARNING)"),
    ("toml-deep", {}, "a = " + "[" * 100_000 + "]" * 100_000 + "\n",
     "nested deeper than 16 levels (fixed limit)"),
    ("toml-big", {}, "#" + "x" * (2 * 1024 * 1024) + "\n", "larger than 1048576 bytes"),
    ("toml-invalid", {}, "[database\n", "invalid TOML"),
    ("toml-unknown", {}, "[nosuch]\nx = 1\n", "unknown setting nosuch"),
    ("toml-not-utf8", {}, None, "not UTF-8 text"),
    ("webhook", {"CHANWATCH_HOTLINE__WEBHOOK_URL": f"ftp://{SECRET}@hooks.example/x"}, None,
     "setting hotline.webhook_url (CHANWATCH_HOTLINE__WEBHOOK_URL): must be an http"),
    ("webhook-port", {"CHANWATCH_HOTLINE__WEBHOOK_URL": f"https://hooks.example:{SECRET}/"},
     None, "setting hotline.webhook_url"),
    ("api-hash", {"CHANWATCH_TELEGRAM__API_HASH": SECRET}, None,
     "setting telegram.api_hash (CHANWATCH_TELEGRAM__API_HASH): api_hash must be 32"),
    ("line-limit", {"CHANWATCH_LIMITS__LINE_BYTES": "lots"}, None,
     "setting limits.line_bytes (CHANWATCH_LIMITS__LINE_BYTES): not a size"),
    ("depth-limit", {"CHANWATCH_LIMITS__JSON_DEPTH": "100000"}, None,
     "setting limits.json_depth (CHANWATCH_LIMITS__JSON_DEPTH)"),
    ("db-dir", {"CHANWATCH_DATABASE__PATH": "/nonexistent-dir/cw.db"}, None,
     "directory /nonexistent-dir does not exist"),
]


@pytest.mark.parametrize(("name", "env", "toml", "says"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_bad_setting(
    ws: Workspace, name: str, env: dict[str, str], toml: str | None, says: str
) -> None:
    before = ws.snapshot()
    argv = ["bank", "list"]
    if toml is not None or name == "toml-not-utf8":
        config = ws.file("c.toml", toml if toml is not None else b"a = '\xe9'\n")
        argv = ["--config", str(config), *argv]
    result = ws.cli(*argv, env=env)
    assert result.code == 2
    line = result.error_line()
    assert says in line and SECRET not in result.err, line
    assert ws.snapshot() == before


#: (name, argv, what the line says)
ARGUMENTS: list[tuple[str, list[str], str]] = [
    ("id-huge", ["alerts", "show", str(10**30)], "is out of range: ids run from 1 to"),
    ("id-negative", ["alerts", "claim", "-5"], "ids run from 1 to 9223372036854775807"),
    ("id-zero", ["watch", "remove", "0"], "is out of range"),
    ("id-digits", ["media", "spread", "9" * 5000], "is out of range"),
    ("id-text", ["case", "revoke", "seven"], "'seven' is not a whole number"),
    ("note", ["alerts", "dismiss", "1", "--note", "n" * 100_000],
     "argument note: 100000 characters; limit 10000 characters (setting "
     "limits.argument_chars (CHANWATCH_LIMITS__ARGUMENT_CHARS))"),
    ("until", ["case", "authorize", "K-1", "--kind", "court_order", "--authority", "a",
               "--document", "d", "--from", "now", "--until", "+99999999999d", "--scope", "@x"],
     "out of range"),
    ("threshold", ["bank", "import", "b", "x.csv", "--threshold", str(10**30)],
     "--threshold must be a Hamming distance 0..256"),
    ("command", ["frobnicate"], "invalid choice: 'frobnicate'"),
    ("not-utf8", ["case", "open", "K-\udcff", "--title", "t", "--supervisor", "sam"],
     "argument reference: not UTF-8 text (byte 3)"),
]


@pytest.mark.parametrize(("name", "argv", "says"), ARGUMENTS, ids=[a[0] for a in ARGUMENTS])
def test_bad_argument(ws: Workspace, name: str, argv: list[str], says: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    before = ws.snapshot(ignore=("audit", "ledger"))
    as_investigator = {"CHANWATCH_TOKEN": ws.tokens["ivan"]} if argv[0] == "case" else {}
    result = ws.cli(*argv, env=as_investigator)
    err = result.err + capsys.readouterr().err  # argparse writes to sys.stderr itself
    assert result.code == 2
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1 and ": error: " in lines[0] and "Traceback" not in err, err
    assert says in lines[0], lines[0]
    assert ws.snapshot(ignore=("audit", "ledger")) == before


def test_a_wrong_token_is_not_echoed(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    """A refused token: exit 1 (refused), one line, the token in neither it nor the log."""
    token = f"cw_{SECRET}_0123456789abcdef"
    bank = ws.file("ok.csv", "hash_type,hash_value\nmd5," + "3" * 32 + "\n")
    before = ws.snapshot(ignore=("audit", "ledger"))
    result = ws.cli("bank", "import", "b", str(bank), env={"CHANWATCH_TOKEN": token})
    assert result.code == 1
    assert "refused: the API token is unknown or was revoked" in result.error_line()
    assert SECRET not in result.err + capsys.readouterr().err
    assert ws.snapshot(ignore=("audit", "ledger")) == before
    assert not [row for row in ws.snapshot() if SECRET in row]  # nor in the audit trail

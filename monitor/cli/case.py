"""``chanwatch case ...`` and ``chanwatch watch request|approve|refuse|requests``.

* ``case open|list|show``: a case has a reference, a title, its investigator
  (who opens it) and its supervisor;
* ``case authorize|extend|confirm``: an investigator records the legal basis
  (kind, authority, document reference, validity, scope); ``case revoke`` is a
  supervisor's act;
* ``watch request``: an investigator asks to watch a channel under a case;
  ``watch approve|refuse``: a supervisor other than the requester decides.
  Only an approved request under an authorization valid now becomes a watch.

The ``watch`` verbs hang under the ``watch`` command of :mod:`monitor.cli.watch`,
which must be registered first (see ``COMMAND_MODULES``).
"""

from __future__ import annotations

import argparse
from typing import Any

from access.policy import KINDS, effective_until
from monitor.cli.access_support import parse_when, refusals, services
from monitor.cli.arguments import row_id
from monitor.cli.common import (
    CliContext,
    SubParsers,
    acting_user,
    add_json_flag,
    emit_list,
    emit_object,
    open_store,
    say,
)
from storage.access_models import Authorization, WatchRequest
from storage.errors import NotFound

#: Where an authorization's number is shown (``case extend|confirm|revoke`` take it).
AUTHZ_HELP = (
    "the authorization number: AUTHORIZATIONS in `chanwatch case list`, id in `case show`"
)
CASE_COLUMNS = ("reference", "title", "investigator", "supervisor", "opened_at")
REQUEST_COLUMNS = ("id", "case", "target", "state", "requested_by", "decided_by", "watch_id")


def _subcommands(parser: argparse.ArgumentParser) -> SubParsers:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("the watch command has no subcommands to extend")


def register(sub: SubParsers) -> None:
    case = sub.add_parser("case", help="cases and their legal authorizations")
    cmds = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)

    op = cmds.add_parser("open", help="open a case (investigator)")
    op.add_argument("reference", help="the investigation's file number")
    op.add_argument("--title", required=True, help="a short title for the case")
    op.add_argument("--supervisor", required=True, help="username of the supervising officer")
    op.add_argument("--why", help="why (audited)")
    op.set_defaults(func=cmd_open, quiet=True)

    lst = cmds.add_parser("list", help="cases")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    show = cmds.add_parser("show", help="a case with its authorizations and watch requests")
    show.add_argument("reference", help="the case reference (see `chanwatch case list`)")
    add_json_flag(show)
    show.set_defaults(func=cmd_show, quiet=True)

    auth = cmds.add_parser("authorize", help="record a legal authorization (investigator)")
    auth.add_argument("reference", help="the case")
    auth.add_argument(
        "--kind", required=True, help=", ".join(f"{k} ({v})" for k, v in KINDS.items())
    )
    auth.add_argument("--authority", required=True, help="the court or office that decided")
    auth.add_argument("--document", required=True, help="the decision's reference")
    auth.add_argument("--from", dest="valid_from", default="now", help="start (default: now)")
    auth.add_argument("--until", required=True, help="end: 2026-06-30, RFC 3339, or +90d")
    auth.add_argument(
        "--scope",
        action="append",
        required=True,
        metavar="CHANNEL",
        help="a channel it covers (@name, t.me/..., id); repeat for several",
    )
    auth.add_argument("--why", help="why (audited)")
    auth.set_defaults(func=cmd_authorize, quiet=True)

    ext = cmds.add_parser("extend", help="record an extension (investigator)")
    ext.add_argument("authorization", type=row_id, help=AUTHZ_HELP)
    ext.add_argument("--until", required=True, help="new end: 2026-06-30, RFC 3339, or +90d")
    ext.add_argument("--authority", required=True, help="the court or office that decided")
    ext.add_argument("--document", required=True, help="the decision's reference")
    ext.add_argument("--why", help="why (audited)")
    ext.set_defaults(func=cmd_extend, quiet=True)

    conf = cmds.add_parser(
        "confirm", help="record the court's confirmation of an emergency measure"
    )
    conf.add_argument("authorization", type=row_id, help=AUTHZ_HELP)
    conf.add_argument("--authority", required=True, help="the court that confirmed it")
    conf.add_argument("--document", required=True, help="the confirmation's reference")
    conf.add_argument("--why", help="why (audited)")
    conf.set_defaults(func=cmd_confirm, quiet=True)

    rev = cmds.add_parser("revoke", help="revoke an authorization (supervisor)")
    rev.add_argument("authorization", type=row_id, help=AUTHZ_HELP)
    rev.add_argument("--reason", required=True, help="why it is revoked (audited)")
    rev.set_defaults(func=cmd_revoke, quiet=True)

    watch = sub.choices.get("watch")
    if watch is None:
        raise RuntimeError("monitor.cli.watch must be registered before monitor.cli.case")
    wcmds = _subcommands(watch)
    req = wcmds.add_parser("request", help="ask to watch a channel under a case (investigator)")
    req.add_argument("case", help="the case reference")
    req.add_argument("target", help="@name, t.me/name or t.me/+HASH")
    req.add_argument("--reason", required=True, help="why this channel (audited)")
    req.set_defaults(func=cmd_request, quiet=True)
    for verb in ("approve", "refuse"):
        p = wcmds.add_parser(verb, help=f"{verb} a watch request (supervisor, not the requester)")
        p.add_argument("request", type=row_id, help="request id (see watch requests)")
        p.add_argument("--note", required=verb == "refuse", help="why (audited)")
        p.set_defaults(func=cmd_approve if verb == "approve" else cmd_refuse, quiet=True)
    rl = wcmds.add_parser("requests", help="watch requests and their decisions")
    rl.add_argument("--case", help="only this case")
    rl.add_argument(
        "--state", choices=("requested", "approved", "refused"), help="only requests in this state"
    )
    add_json_flag(rl)
    rl.set_defaults(func=cmd_requests, quiet=True)


def authz_row(a: Authorization, status: str, end: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "case": a.case_reference,
        "kind": a.kind,
        "status": status,
        "authority": a.authority,
        "document": a.document_ref,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "effective_until": end,
        "scope": list(a.scope),
        "confirmed_at": a.confirmed_at,
        "revoked_at": a.revoked_at,
        "revoke_reason": a.revoke_reason,
    }


def request_row(r: WatchRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "case": r.case_reference,
        "target": r.target,
        "state": r.state,
        "reason": r.reason,
        "requested_by": r.requested_by,
        "requested_at": r.requested_at,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "note": r.decision_note,
        "watch_id": r.watch_id,
    }


async def cmd_open(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "investigator")
    async with open_store(ctx) as store:
        with refusals():
            case = await services(store, ctx).cases.open(
                actor, args.reference, args.title, args.supervisor, args.why
            )
    say(ctx, f"case {case.reference!r} opened (investigator {actor}, supervisor {case.supervisor})")
    return 0


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        cases = await services(store, ctx).cases.all()
        svc = services(store, ctx)
        rows = []
        for case in cases:
            row: dict[str, Any] = {c: getattr(case, c) for c in CASE_COLUMNS}
            row["authorizations"] = [a.id for a in await svc.cases.authorizations(case.reference)]
            rows.append(row)
    emit_list(args, ctx, rows, (*CASE_COLUMNS, "authorizations"), empty="no cases")
    return 0


async def cmd_show(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        svc = services(store, ctx)
        with refusals():
            case = await svc.cases.get(args.reference)
            if case is None:
                raise NotFound(f"there is no case {args.reference!r}")
            auths = await svc.cases.authorizations(args.reference)
            requests = await svc.requests.list(args.reference)
    limits = svc.cases.limits
    obj: dict[str, Any] = {c: getattr(case, c) for c in CASE_COLUMNS}
    obj["authorizations"] = [
        authz_row(a, svc.cases.status(a), effective_until(a, limits)) for a in auths
    ]
    obj["requests"] = [request_row(r) for r in requests]
    emit_object(args, ctx, obj)
    return 0


async def cmd_authorize(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "investigator")
    valid_from = parse_when(args.valid_from)
    valid_until = parse_when(args.until, valid_from)
    async with open_store(ctx) as store:
        with refusals():
            a = await services(store, ctx).cases.authorize(
                actor,
                args.reference,
                kind=args.kind,
                authority=args.authority,
                document=args.document,
                valid_from=valid_from,
                valid_until=valid_until,
                scope=args.scope,
                why=args.why,
            )
    say(
        ctx,
        f"authorization #{a.id} recorded for case {a.case_reference}: {a.kind}, "
        f"{a.valid_from:%Y-%m-%d %H:%M}Z to {a.valid_until:%Y-%m-%d %H:%M}Z, "
        f"scope {', '.join(a.scope)}",
    )
    return 0


async def cmd_extend(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "investigator")
    async with open_store(ctx) as store:
        cases = services(store, ctx).cases
        with refusals():
            a = await cases.extend(
                actor,
                args.authorization,
                until=parse_when(args.until),
                authority=args.authority,
                document=args.document,
                why=args.why,
            )
    say(ctx, f"authorization #{a.id} extended to {a.valid_until:%Y-%m-%d %H:%M}Z")
    return 0


async def cmd_confirm(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "investigator")
    async with open_store(ctx) as store:
        with refusals():
            a = await services(store, ctx).cases.confirm(
                actor,
                args.authorization,
                authority=args.authority,
                document=args.document,
                why=args.why,
            )
    say(ctx, f"emergency measure #{a.id} confirmed; valid until {a.valid_until:%Y-%m-%d %H:%M}Z")
    return 0


async def cmd_revoke(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "supervisor")
    async with open_store(ctx) as store:
        with refusals():
            a = await services(store, ctx).cases.revoke(actor, args.authorization, args.reason)
    say(ctx, f"authorization #{a.id} revoked; recording under it stops within a second, "
             "its channels are left within a minute")
    return 0


async def cmd_request(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "investigator")
    async with open_store(ctx) as store:
        with refusals():
            r = await services(store, ctx).requests.request_watch(
                actor, args.case, args.target, args.reason
            )
    say(
        ctx,
        f"watch request #{r.id} for {r.target} under case {r.case_reference}; "
        "a supervisor other than you must approve it",
    )
    return 0


async def _decide(args: argparse.Namespace, ctx: CliContext, approve: bool) -> int:
    actor = await acting_user(args, ctx, "supervisor")
    async with open_store(ctx) as store:
        with refusals():
            r = await services(store, ctx).requests.decide(
                actor, args.request, approve=approve, note=args.note
            )
    if not approve:
        say(ctx, f"watch request #{r.id} refused")
    elif r.watch_id is None:
        say(
            ctx,
            f"watch request #{r.id} approved; no authorization is in force yet, "
            "the watch starts when one is",
        )
    else:
        say(ctx, f"watch request #{r.id} approved: watch {r.watch_id}; the monitor joins it")
    return 0


async def cmd_approve(args: argparse.Namespace, ctx: CliContext) -> int:
    return await _decide(args, ctx, True)


async def cmd_refuse(args: argparse.Namespace, ctx: CliContext) -> int:
    return await _decide(args, ctx, False)


async def cmd_requests(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        with refusals():
            requests = await services(store, ctx).requests.list(args.case, args.state)
    emit_list(
        args, ctx, [request_row(r) for r in requests], REQUEST_COLUMNS, empty="no watch requests"
    )
    return 0

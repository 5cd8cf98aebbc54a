"""The evidence and bank actions: a case's export (a background job writing the
bundle of :func:`storage.ledger.export.export_case`, downloaded when done), the
ledger's status, the banks with their decisions, and a bank import (a job,
with the CLI's own parsing and line-numbered errors, handed in by the wiring)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from access.roles import AccessDenied
from hotline.console.errors import Invalid, Missing
from hotline.console.jobs import Job
from hotline.console.signin import Principal
from hotline.console.state import Console
from storage.ledger.export import ExportError, export_case
from storage.ledger.keys import KeyFileError, load_signing_key
from storage.ledger.note import NoteError
from storage.repos import Transaction

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def start_export(c: Console, p: Principal, case: str) -> dict[str, Any]:
    if await c.services.cases.get(case) is None:
        raise Missing(f"no case {case!r}")
    cfg = c.config

    async def work(job: Job) -> dict[str, Any]:
        job.phase = "loading the signing key"
        signer = await asyncio.to_thread(load_signing_key, cfg.ledger_key_file)
        await asyncio.to_thread(cfg.export_dir.mkdir, parents=True, exist_ok=True)
        stamp = c.clock().strftime("%Y%m%dT%H%M%SZ")
        out = cfg.export_dir / f"{_SAFE.sub('_', case)[:60]}-{stamp}-{job.id}.zip"
        job.path = out
        job.phase = "selecting, recording and writing the bundle"
        result = await export_case(
            c.services.store, signer, cfg.ledger_origin, case=case, actor=p.name, out=out,
            witness_url=cfg.witness_url,
        )
        return {"case": result.case, "records": result.records,
                "tree_size": result.tree_size, "bundle_sha256": result.bundle_sha256,
                "file": out.name, "key": signer.vkey()}

    job = c.jobs.start("export", p.name, f"evidence export of case {case}", work,
                       (ExportError, KeyFileError, NoteError, OSError))
    return job.view(c.clock())


def export_file(c: Console, p: Principal, job_id: str) -> Path:
    job = c.jobs.get(job_id, p.name, "export")
    if not job.done or not job.ok or job.path is None:
        raise Missing(f"export {job_id} has no bundle (yet): it is {job.phase}")
    return job.path


async def ledger_status(c: Console) -> dict[str, Any]:
    async def read(tx: Transaction) -> dict[str, Any]:
        size = await tx.ledger.size()
        last = await tx.checkpoints.latest()
        signed = last.tree_size if last is not None else 0
        return {
            "size": size,
            "signed_size": signed,
            "unsigned_records": size - signed,
            "last_checkpoint_at": last.signed_at if last is not None else None,
            "last_checkpoint_root": last.root.hex() if last is not None else None,
        }

    return await c.services.store.snapshot(read)


async def banks(c: Console) -> list[dict[str, Any]]:
    store = c.services.store
    feedback = {f.bank: f for f in await store.bank_feedback()}
    out = []
    for b in await store.list_banks():
        f = feedback.get(b.name)
        rate = None if f is None else f.false_positive_rate
        out.append({
            "name": b.name, "threshold": b.threshold, "entries": b.entries,
            "enabled_entries": b.enabled_entries, "confirmed": f.confirmed if f else 0,
            "false_positives": f.dismissed if f else 0,
            "fp_rate": None if rate is None else round(rate, 4),
            "created_at": b.created_at,
        })
    return out


def start_import(
    c: Console, p: Principal, bank: str, data: bytes, fmt: str, *, skip_invalid: bool,
    threshold: int | None, replace: bool,
) -> dict[str, Any]:
    formats = ("auto", *c.services.bank_formats)
    if fmt not in formats:
        raise Invalid(f"unknown bank file format {fmt!r}; one of: {', '.join(formats)}")
    if not bank.strip() or len(bank) > 64 or bank != bank.strip():
        raise Invalid("a bank name is 1 to 64 characters without surrounding spaces")
    if threshold is not None and not 0 <= threshold <= 256:
        raise Invalid(f"threshold must be a Hamming distance 0..256, not {threshold}")
    if not data:
        raise Invalid("the bank file is empty")

    async def work(job: Job) -> dict[str, Any]:
        def progress(phase: str) -> None:
            job.phase = phase

        outcome = await c.services.bank_import(
            p.name, bank, data, fmt, skip_invalid, threshold, replace, progress
        )
        result = {
            "bank": bank, "format": outcome.format, "entries": outcome.entries,
            "added": outcome.added, "withdrawn": outcome.withdrawn,
            "duplicates": outcome.duplicates, "invalid_lines": len(outcome.errors),
            "errors": list(outcome.errors[:200]), "imported": outcome.imported,
            "enabled_entries": outcome.enabled_entries, "total_entries": outcome.total_entries,
            "threshold": outcome.threshold,
        }
        if not outcome.imported:
            job.result = result
            raise ValueError(
                f"{len(outcome.errors)} invalid line(s); nothing was imported (fix the file, "
                "or import with skip-invalid)" if outcome.errors else "no valid entries; "
                "nothing was imported"
            )
        return result

    job = c.jobs.start("import", p.name, f"import into bank {bank}", work,
                       (ValueError, LookupError, AccessDenied))
    return job.view(c.clock())

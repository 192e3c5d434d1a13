"""The integrity panel: the last verified checkpoint, the last verification, and a verification
an IG officer runs now, in the background, with progress.

The checkpoint shown is the one the last intact verification reached
(:func:`portal.governance.service.verified`), not the newest row of ``audit_checkpoint``: the
web role can insert there, and a row's signature means nothing until a verification checks it.

The run uses :func:`portal.audit.verify.verify` (exactly what ``flask audit verify`` runs),
stores its outcome with :func:`portal.audit.verify.record_result` and records a ``LOG_READ``
event (reason ``verify``) naming the officer and the result, in one transaction.

A run reads the whole log on two pooled connections, so a process runs one at a time: asking
again while one runs (the same officer twice, or another) is shown the running one. Only the
last :data:`KEEP_FINISHED` finished jobs are kept for their pages.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import func, select

from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.models import AuditHead
from portal.audit.recorder import record
from portal.audit.verify import CannotVerify, last_result, record_result, verify
from portal.core.actor import Actor
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance.service import VerifiedCheckpoint, require, verified


@dataclass
class Job:
    job_id: str
    actor: Actor
    total: int
    done: int = 0
    state: str = "running"
    message: str = ""
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def percent(self) -> int:
        return min(100, (100 * self.done) // max(self.total, 1))

    @property
    def running(self) -> bool:
        return self.state == "running"


#: How many finished jobs stay for their pages (the stored results keep every outcome).
KEEP_FINISHED = 5
#: This process's jobs, oldest first: at most one running and KEEP_FINISHED finished.
_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Panel:
    checkpoint: VerifiedCheckpoint | None
    #: When the newest run that found a problem was stored, if one did.
    problem_at: datetime | None
    verified_at: datetime | None
    verified_intact: bool | None
    verified_through: int | None
    verified_problem: str | None
    head_seq: int
    job: Job | None
    #: Whether the officer reading the panel started ``job``.
    job_mine: bool


def panel(actor: Actor, job_id: str | None = None) -> Panel:
    """What the panel shows; records ``LOG_READ`` (reason ``integrity``)."""
    require(actor, Permission.LOG_READ)
    session = db.session()
    vouched = verified(session)
    result = last_result(session)
    head = session.execute(select(func.coalesce(func.max(AuditHead.seq), 0))).scalar_one()
    with _LOCK:
        job = _running() or _JOBS.get(job_id or "")
    record(events.log_read(actor, reason="integrity"))
    return Panel(
        checkpoint=vouched.checkpoint,
        problem_at=vouched.problem_at,
        verified_at=result.verified_at if result else None,
        verified_intact=result.intact if result else None,
        verified_through=result.through_seq if result else None,
        verified_problem=result.problem if result else None,
        head_seq=int(head),
        job=job,
        job_mine=job is not None and job.actor.user_id == actor.user_id,
    )


def start_verification(actor: Actor) -> Job:
    """Check permission (in the caller's transaction; nothing written) and start a background
    verification; returns its job, or the one already running (whoever started it)."""
    require(actor, Permission.LOG_READ)
    total = int(db.session.execute(select(func.coalesce(func.max(AuditHead.seq), 0))).scalar_one())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _LOCK:
        running = _running()
        if running is not None:
            return running
        _forget_finished()
        job = Job(job_id=uuid.uuid4().hex, actor=actor, total=total)
        job.thread = threading.Thread(target=_run, args=(app, job), daemon=True, name="ig-verify")
        _JOBS[job.job_id] = job
        job.thread.start()
    return job


def _running() -> Job | None:
    """The job running now, if any (call holding ``_LOCK``)."""
    return next((j for j in _JOBS.values() if j.running), None)


def _forget_finished() -> None:
    """Keep the newest finished jobs only, room for one more (call holding ``_LOCK``)."""
    finished = [k for k, j in _JOBS.items() if not j.running]
    for key in finished[: max(0, len(finished) - KEEP_FINISHED + 1)]:
        del _JOBS[key]


def job(job_id: str) -> Job | None:
    with _LOCK:
        return _JOBS.get(job_id)


def _run(app: Flask, job: Job) -> None:
    try:
        _verify(app, job)
    finally:
        if job.running:  # whatever stopped it, the next request may start another
            job.message, job.state = "Verification stopped before it finished", "failed"


def _verify(app: Flask, job: Job) -> None:
    def progress(rows: int) -> None:
        job.done += rows

    with app.app_context():
        try:
            report = verify(progress=progress)
        except CannotVerify as exc:
            job.message, job.state = f"Verification could not run: {exc}", "failed"
            db.session.remove()
            return
        except Exception as exc:  # the job reports it; the page stays up
            job.message, job.state = f"Verification failed ({type(exc).__name__})", "failed"
            db.session.remove()
            return
        try:
            with transaction() as session:
                record_result(session, report)
                record(
                    events.log_read(
                        job.actor,
                        reason="verify",
                        detail={
                            "intact": "yes" if report.intact else "no",
                            "through_seq": str(report.through_seq),
                            "problem_kind": str(report.problem.kind) if report.problem else "",
                        },
                    )
                )
        except Exception as exc:
            job.message = f"The result could not be stored ({type(exc).__name__})"
            job.state = "failed"
            return
        finally:
            db.session.remove()
        job.done = max(job.done, job.total)
        job.message = (
            f"Intact: {report.rows:,} events checked up to event {report.through_seq}."
            if report.intact
            else f"Problem found: {report.problem}"
        )
        job.state = "intact" if report.intact else "tampered"  # last: the page reads it first

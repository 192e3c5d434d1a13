"""The integrity panel: the last signed checkpoint, the last verification, and a verification
an IG officer runs now, in the background, with progress.

The run uses :func:`portal.audit.verify.verify` (exactly what ``flask audit verify`` runs),
stores its outcome with :func:`portal.audit.verify.record_result` and records a ``LOG_READ``
event (reason ``verify``) naming the officer and the result, in one transaction.
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
from portal.audit.checkpoints import latest_checkpoint
from portal.audit.models import AuditHead
from portal.audit.recorder import record
from portal.audit.verify import CannotVerify, last_result, record_result, verify
from portal.core.actor import Actor
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance.service import require


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


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Panel:
    checkpoint_seq: int | None
    checkpoint_at: datetime | None
    checkpoint_key_id: str | None
    verified_at: datetime | None
    verified_intact: bool | None
    verified_through: int | None
    verified_problem: str | None
    head_seq: int
    job: Job | None


def panel(actor: Actor, job_id: str | None = None) -> Panel:
    """What the panel shows; records ``LOG_READ`` (reason ``integrity``)."""
    require(actor, Permission.LOG_READ)
    session = db.session()
    checkpoint = latest_checkpoint(session)
    result = last_result(session)
    head = session.execute(select(func.coalesce(func.max(AuditHead.seq), 0))).scalar_one()
    with _LOCK:
        job = _JOBS.get(job_id or "")
    if job is not None and job.actor.user_id != actor.user_id:
        job = None
    record(events.log_read(actor, reason="integrity"))
    return Panel(
        checkpoint_seq=checkpoint.seq if checkpoint else None,
        checkpoint_at=checkpoint.signed_at if checkpoint else None,
        checkpoint_key_id=checkpoint.key_id if checkpoint else None,
        verified_at=result.verified_at if result else None,
        verified_intact=result.intact if result else None,
        verified_through=result.through_seq if result else None,
        verified_problem=result.problem if result else None,
        head_seq=int(head),
        job=job,
    )


def start_verification(actor: Actor) -> Job:
    """Check permission (in the caller's transaction; nothing written) and start a background
    verification; returns its job."""
    require(actor, Permission.LOG_READ)
    total = int(db.session.execute(select(func.coalesce(func.max(AuditHead.seq), 0))).scalar_one())
    job = Job(job_id=uuid.uuid4().hex, actor=actor, total=total)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_run, args=(app, job), daemon=True, name="ig-verify")
    job.thread = thread
    with _LOCK:
        _JOBS[job.job_id] = job
    thread.start()
    return job


def job(job_id: str) -> Job | None:
    with _LOCK:
        return _JOBS.get(job_id)


def _run(app: Flask, job: Job) -> None:
    def progress(rows: int) -> None:
        job.done += rows

    with app.app_context():
        try:
            report = verify(progress=progress)
        except CannotVerify as exc:
            job.state, job.message = "failed", f"Verification could not run: {exc}"
            db.session.remove()
            return
        except Exception as exc:  # the job reports it; the page stays up
            job.state, job.message = "failed", f"Verification failed ({type(exc).__name__})"
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
            job.state, job.message = (
                "failed",
                f"The result could not be stored ({type(exc).__name__})",
            )
            return
        finally:
            db.session.remove()
        job.done = max(job.done, job.total)
        job.state = "intact" if report.intact else "tampered"
        job.message = (
            f"Intact: {report.rows:,} events checked up to event {report.through_seq}."
            if report.intact
            else f"Problem found: {report.problem}"
        )

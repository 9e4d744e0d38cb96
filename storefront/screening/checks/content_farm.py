"""Content-farm patterns in the account's upload history: a note, unless the file has a finding of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...accounts.models import User
from ...config import FarmRules
from ...db import utcnow
from ...releases.models import Upload, UploadKind, UploadStatus
from ..models import ScreeningCheck, ScreeningVerdict, Severity
from .base import Check, Given, Need, Outcome, Subject


class ContentFarmCheck(Check):
    name = ScreeningCheck.CONTENT_FARM
    needs = frozenset({Need.CATALOG})

    def run(self, given: Given) -> Outcome:
        rules = given.settings.content_farm_rules or FarmRules()
        return check_content_farm(given.session, given.subject, rules, utcnow())

    def weigh(self, outcome: Outcome, alongside: Sequence[Outcome]) -> Outcome:
        return weigh_content_farm(outcome, alongside)


def check_content_farm(session: Session, subject: Subject, rules: FarmRules, now: datetime) -> Outcome:
    check = ScreeningCheck.CONTENT_FARM
    user = session.get(User, subject.uploaded_by_id) if subject.uploaded_by_id is not None else None
    age_days = (now - user.created_at).total_seconds() / 86400 if user is not None else None
    masters = select(func.count(Upload.id)).where(
        Upload.artist_id == subject.artist_id,
        Upload.kind == UploadKind.MASTER,
        Upload.status != UploadStatus.AWAITING,
        Upload.created_at >= now - timedelta(hours=rules.burst_hours),
    )
    burst = int(session.scalar(masters) or 0)
    recent = session.execute(
        select(Upload.id, Upload.info).where(
            Upload.artist_id == subject.artist_id,
            Upload.kind == UploadKind.MASTER,
            Upload.status == UploadStatus.READY,
            Upload.id != subject.upload_id,
            Upload.created_at >= now - timedelta(days=rules.duration_days),
        )
    ).all()
    alike = [
        row.id
        for row in recent
        if _close(row.info.get("duration_seconds"), subject.duration, rules.duration_tolerance_seconds)
    ]
    same_duration = len(alike) + 1  # this master is one of them
    signals = []
    if age_days is not None and age_days < rules.new_account_days and burst >= rules.burst_masters:
        signals.append(
            f"a new account ({age_days:.1f} days old) sent {burst} masters in the last "
            f"{rules.burst_hours:g} h"
        )
    if same_duration >= rules.same_duration_masters:
        signals.append(
            f"{same_duration} of the artist's masters from the last {rules.duration_days:g} days "
            f"last {subject.duration:.1f} s ± {rules.duration_tolerance_seconds:g} s"
        )
    evidence: dict[str, Any] = {
        "account_age_days": None if age_days is None else round(age_days, 2),
        "masters_in_burst_window": burst,
        "same_duration_masters": same_duration,
        "same_duration_upload_ids": alike,
        "duration_seconds": subject.duration,
        "rules": asdict(rules),
        "signals": signals,
    }
    if signals:
        # Account age, volume and equal lengths describe the account, not this file: alone they would rank
        # every release of a busy new artist medium or high whatever it contains. They stay a note unless
        # the file has a real finding of its own (see weigh_content_farm).
        evidence["severity_if_corroborated"] = (Severity.HIGH if len(signals) > 1 else Severity.MEDIUM).value
        return Outcome(
            check,
            ScreeningVerdict.NOTE,
            Severity.LOW,
            "Content-farm pattern: " + "; ".join(signals) + ".",
            evidence,
        )
    age = "unknown account age" if age_days is None else f"account {age_days:.1f} days old"
    return Outcome(
        check,
        ScreeningVerdict.PASS,
        Severity.NONE,
        f"No content-farm pattern ({age}, {burst} masters in {rules.burst_hours:g} h, "
        f"{same_duration} of similar length).",
        evidence,
    )


def _close(value: object, duration: float, tolerance: float) -> bool:
    return isinstance(value, int | float) and abs(float(value) - duration) <= tolerance


def weigh_content_farm(outcome: Outcome, alongside: Sequence[Outcome]) -> Outcome:
    """A content-farm note raised to a flag when another check found something real in the same file."""
    raised = outcome.evidence.get("severity_if_corroborated")
    if not (
        outcome.check is ScreeningCheck.CONTENT_FARM and outcome.verdict is ScreeningVerdict.NOTE and raised
    ):
        return outcome
    corroborated = [
        o
        for o in alongside
        if o.check is not ScreeningCheck.CONTENT_FARM
        and (
            o.verdict is ScreeningVerdict.REJECT
            or (o.verdict is ScreeningVerdict.FLAG and o.severity in (Severity.MEDIUM, Severity.HIGH))
        )
    ]
    if corroborated:
        also = ", ".join(sorted({o.check.value for o in corroborated}))
        return Outcome(
            outcome.check,
            ScreeningVerdict.FLAG,
            Severity(raised),
            outcome.summary.rstrip(".") + f", alongside a finding of the {also} check.",
            outcome.evidence | {"corroborated_by": sorted({o.check.value for o in corroborated})},
        )
    return Outcome(
        outcome.check,
        outcome.verdict,
        outcome.severity,
        outcome.summary.rstrip(".") + ". Only a note: nothing else was found in this file.",
        outcome.evidence,
    )

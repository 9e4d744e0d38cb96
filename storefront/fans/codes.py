"""Download codes: batches an artist or its label makes for a release, and a fan redeeming one.

A code is 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L), drawn with `secrets`: about
59 bits, so guessing one among even a million live codes takes billions of tries, and redemption is rate
limited far below that. It is printed in groups of four; dashes, spaces and case do not matter when typed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..accounts.models import User
from ..curation.approvals import reviewing_label
from ..db import utcnow
from ..errors import RuleError
from ..events import record_event
from ..orders.models import Entitlement, EntitlementSource
from ..releases.models import Release, ReleaseStatus
from .models import CodeBatch, DownloadCode

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4
MAX_BATCH = 1000  # codes in one batch: a pressing, a tour, a press list
MAX_BATCHES_PER_RELEASE = 50
NAME_LENGTH = 80


class CodeError(RuleError):
    """A request about codes that cannot be met; the message is written for the person who made it."""


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(typed: str) -> str | None:
    """The code's characters as stored for lookup, or None when the text cannot be one of our codes."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def lookup_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def may_manage_codes(user: User, release: Release) -> bool:
    """Members of the release's artist, and staff of its label while the artist is on the label's roster."""
    if any(m.artist_id == release.artist_id for m in user.artist_memberships):
        return True
    return reviewing_label(user, release) is not None


@dataclass(frozen=True)
class BatchSummary:
    batch: CodeBatch
    total: int
    redeemed: int

    @property
    def state(self) -> str:
        if self.batch.revoked_at is not None:
            return "revoked"
        if self.batch.expires_at is not None and self.batch.expires_at <= utcnow():
            return "expired"
        return "active"


@dataclass(frozen=True)
class Redeemed:
    release: Release
    entitlement: Entitlement


class CodeService:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the artist's side ---------------------------------------------------------------------------------
    def batches(self, release: Release) -> list[BatchSummary]:
        rows = self.session.execute(
            select(
                CodeBatch,
                func.count(DownloadCode.id),
                func.count(DownloadCode.redeemed_at),
            )
            .join(DownloadCode, DownloadCode.batch_id == CodeBatch.id, isouter=True)
            .where(CodeBatch.release_id == release.id)
            .group_by(CodeBatch.id)
            .order_by(CodeBatch.created_at.desc(), CodeBatch.id.desc())
        ).all()
        return [BatchSummary(batch, total, redeemed) for batch, total, redeemed in rows]

    def create_batch(
        self, release: Release, by: User, *, name: str, count: int, expires_at: datetime | None
    ) -> CodeBatch:
        if release.status != ReleaseStatus.APPROVED:
            raise CodeError("Codes can be made only for a release that is approved and on sale.")
        name = " ".join(name.split())
        if not name:
            raise CodeError("Give the batch a name, such as “Tour 2027”.", "name")
        if len(name) > NAME_LENGTH:
            raise CodeError(f"Keep the name to {NAME_LENGTH} characters.", "name")
        if not 1 <= count <= MAX_BATCH:
            raise CodeError(f"Make between 1 and {MAX_BATCH:,} codes in one batch.", "count")
        if expires_at is not None and expires_at <= utcnow():
            raise CodeError("The last day must be in the future.", "expires_on")
        made = self.session.scalar(select(func.count(CodeBatch.id)).where(CodeBatch.release_id == release.id))
        if (made or 0) >= MAX_BATCHES_PER_RELEASE:
            raise CodeError(f"A release can have at most {MAX_BATCHES_PER_RELEASE} batches of codes.")
        batch = CodeBatch(release_id=release.id, name=name, created_by_id=by.id, expires_at=expires_at)
        codes: set[str] = set()
        while len(codes) < count:
            codes.add(new_code())
        for code in sorted(codes):
            batch.codes.append(DownloadCode(code=code, lookup=lookup_of(code.replace("-", ""))))
        self.session.add(batch)
        self.session.flush()
        record_event(
            self.session,
            "codes:created",
            subject_type="release",
            subject_id=release.id,
            actor_id=by.id,
            data={"batch_id": batch.id, "count": count},
        )
        return batch

    def revoke(self, batch: CodeBatch, by: User) -> bool:
        """Unused codes stop working; whoever redeemed one keeps the release. False if already revoked."""
        if batch.revoked_at is not None:
            return False
        batch.revoked_at = utcnow()
        record_event(
            self.session,
            "codes:revoked",
            subject_type="release",
            subject_id=batch.release_id,
            actor_id=by.id,
            data={"batch_id": batch.id},
        )
        return True

    def codes_of(self, batch: CodeBatch) -> list[DownloadCode]:
        return list(
            self.session.scalars(
                select(DownloadCode)
                .where(DownloadCode.batch_id == batch.id)
                .options(selectinload(DownloadCode.redeemed_by))
                .order_by(DownloadCode.id)
            )
        )

    # -- the fan's side ------------------------------------------------------------------------------------
    def redeem(self, typed: str, fan: User) -> Redeemed:
        raw = normalise(typed)
        if raw is None:
            raise CodeError(
                f"A download code has {LENGTH} letters and digits, like ABCD-EFGH-JKMN. "
                "Check what you typed.",
                "code",
            )
        code = self.session.scalar(
            select(DownloadCode).where(DownloadCode.lookup == lookup_of(raw)).with_for_update()
        )
        # The row is found by the digest; comparing the stored text again costs nothing and never leaks
        # where two strings differ.
        if code is None or not hmac.compare_digest(code.code.replace("-", ""), raw):
            raise CodeError("This code does not exist. Check what you typed.", "code")
        batch, release = code.batch, code.batch.release
        if code.redeemed_at is not None:
            if code.redeemed_by_id == fan.id:
                raise CodeError("You have already redeemed this code: the release is in your collection.")
            raise CodeError("This code has already been used. Each code works once.", "code")
        if batch.revoked_at is not None:
            raise CodeError("This code was withdrawn by the artist and no longer works.", "code")
        if batch.expires_at is not None and batch.expires_at <= utcnow():
            raise CodeError(
                f"This code expired on {batch.expires_at.strftime('%d %B %Y')} and no longer works.", "code"
            )
        if release.status != ReleaseStatus.APPROVED:
            raise CodeError("This release is no longer available, so its codes cannot be redeemed.", "code")
        held = self.session.scalar(
            select(Entitlement.id).where(
                Entitlement.user_id == fan.id,
                Entitlement.release_id == release.id,
                Entitlement.track_id.is_(None),
                Entitlement.revoked_at.is_(None),
            )
        )
        if held is not None:
            raise CodeError(
                f"“{release.title}” is already in your collection. The code is still unused: pass it on."
            )
        right = Entitlement(
            user_id=fan.id, release_id=release.id, source=EntitlementSource.CODE, currency=release.currency
        )
        self.session.add(right)
        self.session.flush()
        code.redeemed_at, code.redeemed_by_id, code.entitlement_id = utcnow(), fan.id, right.id
        record_event(
            self.session,
            "codes:redeemed",
            subject_type="release",
            subject_id=release.id,
            actor_id=fan.id,
            data={"batch_id": batch.id, "code_id": code.id},
        )
        return Redeemed(release, right)

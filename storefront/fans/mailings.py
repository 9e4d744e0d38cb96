"""Messages an artist writes to its fans: the followers and buyers who accept artists' messages.

An owner of the artist writes a subject and a plain-text body, sees a preview, then sends; the artist may
send one mailing a day. A job mails the recipients a batch per transaction, each with a one-click
unsubscribe from artists' messages; each recipient's delivery row commits with their message, so a job run
again, or taken over by another worker, mails only those it had not reached.

The subject becomes a header: line breaks and control characters are refused, never passed on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..accounts.models import Artist, User
from ..db import insert_or_merge, utcnow
from ..errors import RuleError
from ..jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ..jobs.runner import JobContext
from ..mail.services import MailService, render_outside_request
from ..orders.models import Order, OrderLine, OrderStatus
from .announcements import BATCH, unsubscribe_token
from .models import ArtistMailing, FanMailPreference, Follow, MailingDelivery

# {"mailing_id": int}: mail one artist's message to its fans.
MAILING_JOB = JobSpec("fans.send_artist_mailing")
ARTIST_MESSAGES = "artist-messages"
SUBJECT_MAX = 120
BODY_MAX = 5000
EVERY = timedelta(hours=24)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class MailingError(RuleError):
    """A mailing the rules refuse: empty, too long, a line break in the subject, or too soon."""


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


def clean(subject: str, body: str) -> Draft:
    """The draft as it will be sent, or `MailingError` saying what to change."""
    subject = unicodedata.normalize("NFC", subject).strip()
    body = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not subject or not body:
        raise MailingError("Write both a subject and a message.")
    if "\n" in subject or _CONTROL.search(subject):
        raise MailingError("The subject must be one line of plain text.")
    if len(subject) > SUBJECT_MAX:
        raise MailingError(f"Keep the subject to {SUBJECT_MAX} characters (it has {len(subject)}).")
    if len(body) > BODY_MAX:
        raise MailingError(f"Keep the message to {BODY_MAX:,} characters (it has {len(body):,}).")
    # Tabs and line breaks stay; any other control character is dropped from the plain-text body.
    body = _CONTROL.sub("", body.replace("\t", "    "))
    return Draft(subject, body)


def _recipients(artist_id: int) -> Any:
    """Ids of the artist's followers and buyers who accept artists' messages, each once."""
    followers = select(Follow.user_id).where(Follow.artist_id == artist_id)
    buyers = (
        select(Order.buyer_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            OrderLine.artist_id == artist_id, Order.status == OrderStatus.PAID, Order.buyer_id.is_not(None)
        )
    )
    opted_out = exists().where(
        FanMailPreference.user_id == User.id, FanMailPreference.artist_messages.is_(False)
    )
    return (
        User.id.in_(followers) | User.id.in_(buyers),
        User.deleted_at.is_(None),
        User.disabled_at.is_(None),
        User.email_verified_at.is_not(None),
        ~opted_out,
    )


class MailingService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def audience(self, artist: Artist) -> int:
        return int(self.session.scalar(select(func.count(User.id)).where(*_recipients(artist.id))) or 0)

    def next_allowed(self, artist: Artist) -> datetime | None:
        """When the artist may send again, or None when it may now."""
        last = self.session.scalar(
            select(func.max(ArtistMailing.created_at)).where(ArtistMailing.artist_id == artist.id)
        )
        if last is None or last + EVERY <= utcnow():
            return None
        return last + EVERY

    def send(self, queue: JobQueue, artist: Artist, author: User, subject: str, body: str) -> ArtistMailing:
        draft = clean(subject, body)
        # Taken in the row lock of the artist, so two sends at once cannot both pass the daily limit.
        self.session.scalar(select(Artist.id).where(Artist.id == artist.id).with_for_update())
        again = self.next_allowed(artist)
        if again is not None:
            raise MailingError(
                f"{artist.name} sent a message less than a day ago. The next one can go after "
                f"{again.strftime('%d %b %Y, %H:%M')} UTC."
            )
        mailing = ArtistMailing(
            artist_id=artist.id, author_id=author.id, subject=draft.subject, body=draft.body
        )
        self.session.add(mailing)
        self.session.flush()
        queue.enqueue(MAILING_JOB, {"mailing_id": mailing.id}, dedupe_key=f"mailing:{mailing.id}")
        return mailing

    def wants_artist_messages(self, user_id: int) -> bool:
        found = self.session.get(FanMailPreference, user_id, populate_existing=True)
        return True if found is None else found.artist_messages

    def set_artist_messages(self, user_id: int, wanted: bool) -> None:
        # One statement, so two unsubscribes at once (a mail client and a click) cannot collide.
        changed = {"artist_messages": wanted, "changed_at": utcnow()}
        stmt = insert_or_merge(self.session.get_bind().dialect, FanMailPreference).values(
            user_id=user_id, **changed
        )
        self.session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=changed))

    def sent(self, artist: Artist, limit: int = 10) -> list[tuple[ArtistMailing, int]]:
        """The artist's latest mailings with how many fans each reached so far."""
        reached = (
            select(func.count(MailingDelivery.id))
            .where(MailingDelivery.mailing_id == ArtistMailing.id)
            .scalar_subquery()
        )
        rows = self.session.execute(
            select(ArtistMailing, reached)
            .where(ArtistMailing.artist_id == artist.id)
            .order_by(ArtistMailing.created_at.desc(), ArtistMailing.id.desc())
            .limit(limit)
        )
        return [(mailing, int(count)) for mailing, count in rows]


def _batch(session: Session, mailing: ArtistMailing, after_id: int) -> list[User]:
    reached = exists().where(MailingDelivery.mailing_id == mailing.id, MailingDelivery.user_id == User.id)
    return list(
        session.scalars(
            select(User)
            .where(*_recipients(mailing.artist_id), User.id > after_id, ~reached)
            .order_by(User.id)
            .limit(BATCH)
        )
    )


def _mail(session: Session, platform: Any, mailing: ArtistMailing, fans: list[User]) -> None:
    base = str(platform.settings.base_url).rstrip("/")
    mail = MailService(session, JobQueue(session, platform.jobs), render_outside_request)
    artist = mailing.artist
    for fan in fans:
        token = unsubscribe_token(platform.tokens, fan.id, ARTIST_MESSAGES)
        unsubscribe = f"{base}/unsubscribe/artist-messages/{token}"
        session.add(MailingDelivery(mailing_id=mailing.id, user_id=fan.id))
        mail.send_with_headers(
            "artist_message",
            fan.email,
            f"{artist.name}: {mailing.subject}",
            "artist_message",
            {
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            artist=artist,
            mailing=mailing,
            fan=fan,
            link=f"{base}/artists/{quote(artist.slug)}",
            unsubscribe=unsubscribe,
            settings_link=f"{base}/settings/mail",
        )
    session.flush()


def send_mailing(context: JobContext, payload: dict[str, Any]) -> None:
    mailing_id = int(payload["mailing_id"])
    after_id = 0
    while True:
        # Committed only while this worker holds the job, batch by batch (see the module's note).
        with context.transaction() as session:
            mailing = session.get(ArtistMailing, mailing_id)
            if mailing is None:
                return
            fans = _batch(session, mailing, after_id)
            if not fans:
                mailing.finished_at = mailing.finished_at or utcnow()
                return
            _mail(session, context.services, mailing, fans)
            after_id = fans[-1].id


def register_jobs(registry: JobRegistry) -> None:
    registry.add(MAILING_JOB, send_mailing)

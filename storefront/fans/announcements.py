"""Mail to followers when a release becomes public, each with a one-click unsubscribe (RFC 8058).

Approval queues one job per release (deduplicated, so a reinstated release is not announced again). The job
mails the followers of the release's artist and label who want new-release mail, a batch per transaction;
each follower's notice row commits with their message, so a job run again, or taken over by another worker,
mails only those it had not reached.

The unsubscribe link is signed with the app's token signer and names the account and the list; it works
without logging in, from the mail itself (`List-Unsubscribe-Post`) or from a confirmation page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ..accounts.credentials import TokenInvalid, Tokens
from ..accounts.models import User
from ..catalog.release_pages import RELEASE_PATH
from ..jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ..jobs.runner import JobContext
from ..mail.services import MailService, render_outside_request
from ..releases.models import Release, ReleaseStatus
from ..releases.preorders import Calendar, is_preorder
from ..releases.windows import open_until, window_text
from .models import FanMailPreference, Follow, ReleaseAnnouncement

# {"release_id": int}: tell the followers of a release that became public.
ANNOUNCE_JOB = JobSpec("fans.announce_release")
BATCH = 200
UNSUBSCRIBE_PURPOSE = "unsubscribe"
NEW_RELEASES = "new-releases"
# Old mail keeps working for a long time; a link older than this asks the fan to use the settings page.
UNSUBSCRIBE_MAX_AGE = int(timedelta(days=730).total_seconds())


class UnsubscribeInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def announce(queue: JobQueue, release: Release) -> None:
    """Run in the transaction that makes the release public; the job reads it once that commits."""
    queue.enqueue(ANNOUNCE_JOB, {"release_id": release.id}, dedupe_key=f"announce:{release.id}")


def unsubscribe_token(tokens: Tokens, user_id: int, list_name: str = NEW_RELEASES) -> str:
    return tokens.make(UNSUBSCRIBE_PURPOSE, {"user": user_id, "list": list_name})


def read_unsubscribe_token(tokens: Tokens, token: str, list_name: str = NEW_RELEASES) -> int:
    """The account the link was made for; `UnsubscribeInvalid` for a tampered, cut or expired link."""
    if len(token) > 400:
        raise UnsubscribeInvalid("This unsubscribe link is not valid. Check that you copied all of it.")
    try:
        data = tokens.load(UNSUBSCRIBE_PURPOSE, token, max_age=UNSUBSCRIBE_MAX_AGE)
    except TokenInvalid as error:
        raise UnsubscribeInvalid(
            str(error) + " You can change your mail settings after logging in."
        ) from None
    user_id = data.get("user")
    if data.get("list") != list_name or not isinstance(user_id, int):
        raise UnsubscribeInvalid("This unsubscribe link is not valid.")
    return user_id


def _followers(session: Session, release: Release, after_id: int) -> list[User]:
    follows = (
        or_(Follow.artist_id == release.artist_id, Follow.label_id == release.label_id)
        if release.label_id is not None
        else Follow.artist_id == release.artist_id
    )
    opted_out = exists().where(
        FanMailPreference.user_id == User.id, FanMailPreference.new_releases.is_(False)
    )
    told = exists().where(
        ReleaseAnnouncement.release_id == release.id, ReleaseAnnouncement.user_id == User.id
    )
    return list(
        session.scalars(
            select(User)
            .where(
                User.id.in_(select(Follow.user_id).where(follows)),
                User.id > after_id,
                User.deleted_at.is_(None),
                User.disabled_at.is_(None),
                User.email_verified_at.is_not(None),
                ~opted_out,
                ~told,
            )
            .order_by(User.id)
            .limit(BATCH)
        )
    )


def _tell(session: Session, platform: Any, release: Release, fans: list[User]) -> None:
    base = str(platform.settings.base_url).rstrip("/")
    mail = MailService(session, JobQueue(session, platform.jobs), render_outside_request)
    path = RELEASE_PATH.replace("<slug>", quote(release.artist.slug)).replace(
        "<release_slug>", quote(release.slug)
    )
    who = release.artist.name
    today = Calendar(platform.executor.clock).today()
    out_on = release.release_date if is_preorder(release, today) else None
    if out_on is not None:
        subject = f"Pre-order from {who}: “{release.title}”, out {out_on.day} {out_on:%B %Y}"
    else:
        subject = f"New from {who}: “{release.title}”"
    until = open_until(release, today)
    for fan in fans:
        unsubscribe = f"{base}/unsubscribe/{unsubscribe_token(platform.tokens, fan.id)}"
        session.add(ReleaseAnnouncement(release_id=release.id, user_id=fan.id))
        mail.send_with_headers(
            "new_release",
            fan.email,
            subject,
            "new_release",
            {
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            release=release,
            out_on=out_on,
            here_first=window_text(until) if until is not None else "",
            fan=fan,
            link=base + path,
            unsubscribe=unsubscribe,
            settings_link=f"{base}/settings/mail",
        )
    session.flush()


def announce_release(context: JobContext, payload: dict[str, Any]) -> None:
    release_id = int(payload["release_id"])
    after_id = 0
    while True:
        # Committed only while this worker holds the job, batch by batch (see the module's note).
        with context.transaction() as session:
            release = session.get(Release, release_id)
            if release is None or release.status != ReleaseStatus.APPROVED:
                return  # taken down (or gone) before its followers were reached
            fans = _followers(session, release, after_id)
            if not fans:
                return
            _tell(session, context.services, release, fans)
            after_id = fans[-1].id


def register_jobs(registry: JobRegistry) -> None:
    registry.add(ANNOUNCE_JOB, announce_release)

"""Server-side log-in sessions: the cookie holds a random id, the database its hash, so any can be ended."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..db import Base, Database, utcnow
from .credentials import hash_token, new_secret_token
from .models import User

# A session nobody used for this long is over, whatever the cookie says (the cookie lives as long).
IDLE_LIMIT = timedelta(days=30)
# `last_seen_at` is a hint for the account page, not an audit trail: one write per few minutes is plenty.
TOUCH_EVERY = timedelta(minutes=5)
# An address this account logged in from this recently counts as the owner's own (see web/login_limits.py).
KNOWN_ADDRESS_FOR = timedelta(days=30)


class UserSession(Base):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only the hash: a copy of the database does not let anyone take over a session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    ip_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.last_seen_at > now - IDLE_LIMIT


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """A short, human summary ("Firefox on Linux") instead of the full header, which fingerprints a device."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    cleaned = re.sub(r"[^\w ./-]", "", user_agent)[:40].strip()
    return cleaned or "Unknown device"


@dataclass(frozen=True)
class StartedSession:
    row: UserSession
    token: str


class SessionService:
    """Sessions are started, listed and ended inside the request's transaction, like any other change."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, user: User, *, user_agent: str, ip_hash: str | None) -> StartedSession:
        token, token_hash = new_secret_token()
        row = UserSession(
            user_id=user.id, token_hash=token_hash, user_agent=describe_agent(user_agent), ip_hash=ip_hash
        )
        self.session.add(row)
        self.session.flush()
        return StartedSession(row, token)

    def find(self, token: object) -> UserSession | None:
        """The live session the cookie's id names, or None."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        row = self.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
        return row if row is not None and row.is_live(utcnow()) else None

    def active_for(self, user: User) -> list[UserSession]:
        now = utcnow()
        rows = self.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .where(UserSession.last_seen_at > now - IDLE_LIMIT)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
        return list(rows)

    def end(self, row: UserSession) -> None:
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            self.session.flush()

    def end_all(self, user: User, *, keep: UserSession | None = None) -> int:
        """End every session of `user` except `keep`; returns how many were ended."""
        stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        if keep is not None:
            stmt = stmt.where(UserSession.id != keep.id)
        result = self.session.execute(
            stmt.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")
        )
        self.session.flush()
        return int(getattr(result, "rowcount", 0) or 0)

    def known_address(self, user: User | None, ip_hash: str | None) -> bool:
        """Whether `user` logged in from this address lately: the owner's own device or network.

        Asks the database even for an unknown user, so that a known address takes no longer to answer."""
        found = self.session.scalar(
            select(UserSession.id)
            .where(UserSession.user_id == (user.id if user else 0), UserSession.ip_hash == (ip_hash or ""))
            .where(UserSession.created_at > utcnow() - KNOWN_ADDRESS_FOR)
            .limit(1)
        )
        return found is not None


def touch(database: Database, row: UserSession, *, request_writes: bool) -> None:
    """Note that the session is in use, at most every few minutes.

    A request that may write records it in its own transaction. A GET must not write, so its note goes in a
    short transaction of its own; a GET's transaction only reads, so on SQLite that never waits behind it."""
    now = utcnow()
    if row.last_seen_at > now - TOUCH_EVERY:
        return
    if request_writes:
        row.last_seen_at = now
        return
    with database.engine.begin() as conn:
        conn.execute(
            update(UserSession)
            .where(UserSession.id == row.id, UserSession.last_seen_at <= now - TOUCH_EVERY)
            .values(last_seen_at=now)
        )

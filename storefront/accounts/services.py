"""Accounts: sign-up, email verification, log-in, password reset, changes of email and password, deletion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import RuleError
from ..events import record_event
from ..mail.services import MailService
from .credentials import Passwords, TokenInvalid, Tokens, password_problem
from .models import MemberRole, User
from .sessions import SessionService, UserSession

UrlFor = Callable[..., str]
VERIFY_MAX_AGE = int(timedelta(days=3).total_seconds())
RESET_MAX_AGE = int(timedelta(hours=1).total_seconds())


# What other rooms do once an account's address is proven its owner's: on verification, and on each log-in
# to a verified account (orders: the guest purchases made with that address join the account). Filled while
# the app is wired.
AddressProven = Callable[[Session, User], None]


class ProvenAddressHooks:
    def __init__(self) -> None:
        self._hooks: list[AddressProven] = []

    def add(self, hook: AddressProven) -> None:
        self._hooks.append(hook)

    def run(self, session: Session, user: User) -> None:
        if user.is_verified and user.is_active:
            for hook in self._hooks:
                hook(session, user)


class AccountError(RuleError):
    """A request the account rules refuse; `field` names the form field the message belongs next to."""


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log."""

    user_id: int | None
    ip_hash: str | None = None


def normalise_email(raw: str, *, field: str = "email") -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"Enter a valid email address ({exc}).", field) from None
    # The domain part is case-insensitive by standard; the local part is in practice, too.
    return result.normalized.lower()


class AccountService:
    def __init__(
        self,
        session: Session,
        *,
        passwords: Passwords,
        tokens: Tokens,
        mail: MailService,
        url_for: UrlFor,
        proven: ProvenAddressHooks | None = None,
    ) -> None:
        self.session = session
        self.passwords = passwords
        self.tokens = tokens
        self.mail = mail
        self.url_for = url_for
        self.proven = proven or ProvenAddressHooks()

    # -- lookups ---------------------------------------------------------------------------------------
    def by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(func.lower(User.email) == email.lower()))

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    # -- sign-up and verification -------------------------------------------------------------------------
    def sign_up(self, email: str, password: str, display_name: str, actor: Actor) -> User | None:
        """The new account, or None when the address already has one. The caller must answer both the
        same way, so that the form does not tell strangers which addresses have accounts: the owner is
        mailed a notice instead."""
        email = normalise_email(email)
        display_name = display_name.strip()
        if not display_name:
            raise AccountError("Enter the name other people will see.", "display_name")
        if len(display_name) > 80:
            raise AccountError("Use at most 80 characters.", "display_name")
        if problem := password_problem(password, email=email):
            raise AccountError(problem, "password")
        password_hash = self.passwords.hash(password)  # in both cases, so both take as long
        existing = self.by_email(email)
        if existing is not None:
            if existing.is_active:
                self.mail.send(
                    "signup_existing",
                    existing.email,
                    "Someone tried to sign up with your address",
                    "signup_existing",
                    user=existing,
                    login_link=self.url_for("accounts.login"),
                    reset_link=self.url_for("accounts.forgot_password"),
                )
            record_event(
                self.session,
                "user:signup_for_existing_address",
                subject_type="user",
                subject_id=existing.id,
                actor_id=None,
                ip_hash=actor.ip_hash,
            )
            return None
        user = User(email=email, display_name=display_name, password_hash=password_hash)
        self.session.add(user)
        self.session.flush()
        record_event(
            self.session,
            "user:signed_up",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            ip_hash=actor.ip_hash,
        )
        self.send_verification(user)
        return user

    def send_verification(self, user: User) -> None:
        token = self.tokens.make("verify-email", {"uid": user.id, "email": user.email})
        self.mail.send(
            "verify_email",
            user.email,
            "Confirm your email address",
            "verify_email",
            user=user,
            link=self.url_for("accounts.verify_email", token=token),
        )

    def verify_email(self, token: str) -> User:
        data = self.tokens.load("verify-email", token, max_age=VERIFY_MAX_AGE)
        user = self.get(int(data.get("uid", 0)))
        if user is None or not user.is_active or user.email != data.get("email"):
            raise TokenInvalid("This link is no longer valid for your account.")
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
            record_event(
                self.session, "user:email_verified", subject_type="user", subject_id=user.id, actor_id=user.id
            )
        self.proven.run(self.session, user)
        return user

    # -- log-in --------------------------------------------------------------------------------------
    def authenticate(self, email: str, password: str, actor: Actor) -> User:
        user = self.by_email(email.strip())
        ok = self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok or not user.is_active:
            raise AccountError("The email or the password is not right.", "password")
        assert user.password_hash is not None
        if self.passwords.needs_rehash(user.password_hash):
            user.password_hash = self.passwords.hash(password)
        user.last_login_at = utcnow()
        record_event(
            self.session,
            "user:logged_in",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            ip_hash=actor.ip_hash,
        )
        self.proven.run(self.session, user)
        return user

    # -- password reset --------------------------------------------------------------------------------
    def request_password_reset(self, email: str, actor: Actor) -> None:
        """Always looks the same to the caller, so the form does not reveal which addresses have accounts."""
        user = self.by_email(email.strip())
        if user is None or not user.is_active:
            return
        token = self.tokens.make("reset-password", {"uid": user.id, "v": user.auth_version})
        self.mail.send(
            "reset_password",
            user.email,
            "Reset your password",
            "reset_password",
            user=user,
            link=self.url_for("accounts.reset_password", token=token),
        )
        record_event(
            self.session,
            "user:password_reset_requested",
            subject_type="user",
            subject_id=user.id,
            actor_id=None,
            ip_hash=actor.ip_hash,
        )

    def user_for_reset(self, token: str) -> User:
        data = self.tokens.load("reset-password", token, max_age=RESET_MAX_AGE)
        user = self.get(int(data.get("uid", 0)))
        if user is None or not user.is_active or user.auth_version != data.get("v"):
            raise TokenInvalid("This link has already been used. Ask for a new one.")
        return user

    def reset_password(self, token: str, new_password: str, actor: Actor) -> User:
        user = self.user_for_reset(token)
        self._set_password(user, new_password, actor, tag="user:password_reset")
        if user.email_verified_at is None:
            # Following a link sent to the address proves it as well as the verification mail would.
            user.email_verified_at = utcnow()
        self.proven.run(self.session, user)
        return user

    # -- changes from the account page --------------------------------------------------------------------
    def change_password(
        self, user: User, current: str, new_password: str, actor: Actor, *, keep: UserSession | None = None
    ) -> None:
        """Change the password and end every other session; `keep` is the session making the change."""
        if not self.passwords.verify(user.password_hash, current):
            raise AccountError("Your current password is not right.", "current_password")
        self._set_password(user, new_password, actor, tag="user:password_changed", keep=keep)

    def _set_password(
        self, user: User, new_password: str, actor: Actor, *, tag: str, keep: UserSession | None = None
    ) -> None:
        if problem := password_problem(new_password, email=user.email):
            raise AccountError(problem, "new_password" if tag == "user:password_changed" else "password")
        user.password_hash = self.passwords.hash(new_password)
        user.auth_version += 1
        # Whoever had the old password may still hold a session: it ends with the old password.
        SessionService(self.session).end_all(user, keep=keep)
        record_event(
            self.session,
            tag,
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            ip_hash=actor.ip_hash,
        )

    def request_email_change(self, user: User, new_email: str, password: str, actor: Actor) -> str:
        new_email = normalise_email(new_email, field="new_email")
        if not self.passwords.verify(user.password_hash, password):
            raise AccountError("Your password is not right.", "password")
        if new_email == user.email:
            raise AccountError("This is already your email address.", "new_email")
        if self.by_email(new_email) is not None:
            raise AccountError("Another account uses this address.", "new_email")
        # A new request makes every earlier link useless: only the address asked for last can be confirmed.
        user.email_change_version += 1
        token = self.tokens.make(
            "change-email",
            {"uid": user.id, "email": new_email, "v": user.auth_version, "ev": user.email_change_version},
        )
        self.mail.send(
            "change_email",
            new_email,
            "Confirm your new email address",
            "change_email",
            user=user,
            new_email=new_email,
            link=self.url_for("accounts.confirm_email_change", token=token),
        )
        self.mail.send(
            "email_change_notice",
            user.email,
            "Your email address is being changed",
            "email_change_notice",
            user=user,
            new_email=new_email,
        )
        return new_email

    def confirm_email_change(self, token: str, actor: Actor) -> User:
        data = self.tokens.load("change-email", token, max_age=VERIFY_MAX_AGE)
        user = self.get(int(data.get("uid", 0)))
        if (
            user is None
            or not user.is_active
            or user.auth_version != data.get("v")
            or user.email_change_version != data.get("ev")
        ):
            raise TokenInvalid(
                "This link is no longer valid: it was used already, or a newer change was asked for. "
                "Use the newest link, or ask again from your account page."
            )
        new_email = str(data.get("email", ""))
        if self.by_email(new_email) is not None:
            raise TokenInvalid("Another account now uses this address.")
        old = user.email
        user.email = new_email
        user.email_change_version += 1  # the link works once
        user.email_verified_at = utcnow()
        record_event(
            self.session,
            "user:email_changed",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            ip_hash=actor.ip_hash,
            data={"from_domain": old.rsplit("@", 1)[-1]},
        )
        self.proven.run(self.session, user)
        return user

    # -- administration ------------------------------------------------------------------------------
    def set_disabled(self, user: User, disabled: bool, actor: Actor) -> None:
        """An admin stops an account from logging in (its sessions end at once), or lets it in again."""
        if user.deleted_at is not None:
            raise AccountError("This account is deleted.")
        if actor.user_id == user.id:
            raise AccountError("You cannot disable your own account.")
        if disabled == (user.disabled_at is not None):
            return
        user.disabled_at = utcnow() if disabled else None
        if disabled:
            SessionService(self.session).end_all(user)
        record_event(
            self.session,
            "user:disabled" if disabled else "user:enabled",
            subject_type="user",
            subject_id=user.id,
            actor_id=actor.user_id,
            ip_hash=actor.ip_hash,
        )

    # -- deletion ------------------------------------------------------------------------------------
    def sole_owner_of(self, user: User) -> list[str]:
        """Profiles that would be left without an owner: they must be handed over or deleted first."""
        names: list[str] = []
        for membership in user.artist_memberships:
            owners = [m for m in membership.artist.members if m.role == MemberRole.OWNER]
            if (
                membership.role == MemberRole.OWNER
                and len(owners) == 1
                and len(membership.artist.members) > 1
            ):
                names.append(membership.artist.name)
        for staff in user.label_memberships:
            label_owners = [m for m in staff.label.staff if m.role == MemberRole.OWNER]
            if staff.role == MemberRole.OWNER and len(label_owners) == 1 and len(staff.label.staff) > 1:
                names.append(staff.label.name)
        return names

    def delete_account(self, user: User, password: str, actor: Actor) -> None:
        """Erase personal data; keep the anonymous row that purchase and payout records point to."""
        if not self.passwords.verify(user.password_hash, password):
            raise AccountError("Your password is not right.", "password")
        if blocking := self.sole_owner_of(user):
            raise AccountError(
                "You are the only owner of "
                + ", ".join(blocking)
                + ". Make another member an owner first, so the profile is not left without one.",
                "password",
            )
        for membership in list(user.artist_memberships):
            self.session.delete(membership)
        for staff in list(user.label_memberships):
            self.session.delete(staff)
        user.email = f"deleted-{user.id}@accounts.invalid"
        user.display_name = "Deleted account"
        user.password_hash = None
        user.email_verified_at = None
        user.is_admin = False
        user.auth_version += 1
        user.deleted_at = utcnow()
        SessionService(self.session).end_all(user)
        record_event(
            self.session,
            "user:deleted",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            ip_hash=actor.ip_hash,
        )

"""Getting paid: an artist's or label's payout account, its onboarding at the gateway, and a label's
agreement to sell and be paid for an artist on its roster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...config import Settings
from ...jobs.interfaces import JobQueue
from ...payments.interfaces import GatewayError, PaymentGateway
from ...web.access import Rule, access
from ...web.services import find_service
from ..access import current_user
from ..actor import actor
from ..forms import ConfirmForm
from ..models import Artist, Label, RosterLink, RosterStatus
from .access import ARTIST_PAYEE, ARTIST_ROSTER_OWNER, LABEL_PAYEE, LABEL_ROSTER_OWNER
from .agreements import CollectingService
from .models import PayeeAccount
from .services import PayeeError, PayeePlatform, PayeeService

bp = Blueprint("payees", __name__)
ViewResult = Response | str | tuple[str, int]
UNREACHABLE = "The payment provider could not be reached. Nothing has changed; please try again shortly."


def _gateway_trouble(error: GatewayError) -> str:
    if error.retryable:
        return UNREACHABLE
    return f"The payment provider refused: {error}. If this goes on, write to support."


@dataclass(frozen=True)
class PayeePage:
    """What the page shows: the account's state in words, and the roster agreements about who is paid."""

    kind: str
    profile: Artist | Label
    state: str  # "none", "details" or "enabled"
    details_needed: list[str] = field(default_factory=list)
    account: PayeeAccount | None = None
    collecting: list[RosterLink] = field(default_factory=list)  # agreements in force
    proposals: list[RosterLink] = field(default_factory=list)  # waiting for the artist's answer


def _kind(profile: Artist | Label) -> str:
    return "artist" if isinstance(profile, Artist) else "label"


def _readable(requirement: str) -> str:
    """A field path such as "individual.verification.document" reads as words; a sentence stays as it is."""
    if " " in requirement.strip():
        return requirement
    for mark in "._[]":
        requirement = requirement.replace(mark, " ")
    return " ".join(requirement.split())


def _page_data(profile: Artist | Label) -> PayeePage:
    account = find_service(PayeeService).account_of(profile)
    state = "none" if account is None else "enabled" if account.transfers_enabled else "details"
    links = [link for link in profile.roster_links if link.status == RosterStatus.ACTIVE]
    return PayeePage(
        kind=_kind(profile),
        profile=profile,
        state=state,
        details_needed=[_readable(str(item)) for item in (account.details_needed if account else [])],
        account=account,
        collecting=[link for link in links if link.label_collects],
        proposals=[link for link in links if link.collect_proposed_at and not link.label_collects],
    )


def _page(profile: Artist | Label, status: int = 200) -> ViewResult:
    page = render_template("payees/account.html", page=_page_data(profile), form=ConfirmForm())
    return (page, status) if status != 200 else page


def _to_page(profile: Artist | Label) -> Response:
    return redirect(url_for(f"payees.{_kind(profile)}_page", slug=profile.slug), code=303)


def _connect(profile: Artist | Label) -> ViewResult:
    user = current_user()
    assert user is not None  # the rule requires a signed-in owner
    try:
        link = find_service(PayeeService).connect(profile, email=user.email)
    except PayeeError as error:
        flash(error.message, "error")
        return _page(profile, status=error.status)
    except GatewayError as error:
        # Redirected, not an error page, so an account the gateway did create is kept on record.
        flash(_gateway_trouble(error), "error")
        return _to_page(profile)
    return redirect(link, code=303)


def _return(profile: Artist | Label) -> ViewResult:
    """Back from onboarding: read the account's state again. A GET must not write in the request's own
    transaction, so what the gateway says is kept in a short transaction of its own."""
    account = find_service(PayeeService).account_of(profile)
    if account is None:
        return _to_page(profile)
    gateway = find_service(PaymentGateway)
    try:
        state = gateway.fetch_payee(account.provider_account_id)
    except GatewayError as error:
        flash(_gateway_trouble(error), "error")
        return _to_page(profile)
    platform = find_service(PayeePlatform)
    with platform.database.transaction() as session:
        fresh = session.get(PayeeAccount, account.id)
        assert fresh is not None
        queue = JobQueue(session, platform.jobs)
        PayeeService(session, gateway, find_service(Settings), queue=queue).apply(fresh, state)
        enabled = fresh.transfers_enabled
    flash(
        "Your payout account can receive transfers."
        if enabled
        else "Thanks. The payment provider still needs a few details; see below.",
        "success" if enabled else "info",
    )
    return _to_page(profile)


def _refresh(profile: Artist | Label) -> ViewResult:
    """The onboarding link expired or was used: make a new one for the same account."""
    service = find_service(PayeeService)
    account = service.account_of(profile)
    if account is None or account.transfers_enabled:
        return _to_page(profile)
    try:
        return redirect(service.onboarding_link(profile, account), code=303)
    except GatewayError as error:
        flash(_gateway_trouble(error), "error")
        return _to_page(profile)


# -- a label's agreement to collect, on the roster ----------------------------------------------------------
def _members(profile: Artist | Label) -> Response:
    return redirect(url_for(f"profiles.{_kind(profile)}_members", slug=profile.slug), code=303)


def _agreement(profile: Artist | Label, link: RosterLink, action: str) -> ViewResult:
    service = find_service(CollectingService)
    try:
        if action == "propose":
            service.propose(link, actor())
            flash(
                f"Asked {link.artist.name} to agree that {link.label.name} is paid for its releases.",
                "success",
            )
        elif action == "accept":
            service.accept(link, actor())
            flash(f"{link.label.name} now sells and is paid for your releases on the label.", "success")
        else:
            service.end(link, actor(), by_label=isinstance(profile, Label))
            flash(f"{link.artist.name} is paid directly for its releases from now on.", "success")
    except PayeeError as error:
        flash(error.message, "error")
    return _members(profile)


# -- routes -------------------------------------------------------------------------------------------------
def _view(kind: str, endpoint: str, action: Any, *extra: Any) -> Any:
    def view(**view_args: Any) -> ViewResult:
        profile: Artist | Label = view_args.pop(kind)
        result: ViewResult = action(profile, *view_args.values(), *extra)
        return result

    view.__name__ = endpoint
    return view


def _routes(kind: str, payee_rule: Rule, roster_rule: Rule) -> None:
    base = f"/{kind}s/<slug>"
    views: list[tuple[str, str, list[str], Rule, Any, tuple[Any, ...]]] = [
        ("page", "/getting-paid", ["GET"], payee_rule, _page, ()),
        ("connect", "/getting-paid/connect", ["POST"], payee_rule, _connect, ()),
        ("return", "/getting-paid/return", ["GET"], payee_rule, _return, ()),
        ("refresh", "/getting-paid/refresh", ["GET"], payee_rule, _refresh, ()),
    ]
    actions = ("propose", "end") if kind == "label" else ("accept", "end")
    for name in actions:
        path = f"/roster/<int:link_id>/collect/{name}"
        views.append((f"collect_{name}", path, ["POST"], roster_rule, _agreement, (name,)))
    for name, path, methods, rule, action, extra in views:
        endpoint = f"{kind}_{name}"
        bp.add_url_rule(
            base + path, endpoint, access(rule)(_view(kind, endpoint, action, *extra)), methods=methods
        )


_routes("artist", ARTIST_PAYEE, ARTIST_ROSTER_OWNER)
_routes("label", LABEL_PAYEE, LABEL_ROSTER_OWNER)

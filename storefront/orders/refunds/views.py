"""A sale's page for its payee: what was paid and shared out, its refunds, and refunding it.

The payee's members (the artist's, or the staff of the label that sells for it) and admins see the sale;
its owners and admins refund it, wholly or in part, after a confirmation step. Anyone else is told the sale
does not exist. The form carries how many refunds the sale had when it was shown, so submitting it twice
refunds once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...accounts.access import current_user
from ...accounts.models import MemberRole, User
from ...db import get_session
from ...jobs.interfaces import JobQueue
from ...mail.services import MailService
from ...releases.identifiers import InvalidCode, format_price, parse_price
from ...web.access import Rule, ViewArgs, access
from ...web.services import find_service
from ..models import Dispute, LineRefund, OrderLine
from .refund import RefundError, RefundService, refund_version

bp = Blueprint("orders_refunds", __name__)


def payee_role(user: User, line: OrderLine) -> MemberRole | None:
    """The user's role with the line's payee, or None if they are not one of its people."""
    if line.payee_label_id is not None:
        people = [(s.user_id, s.role) for s in user.label_memberships if s.label_id == line.payee_label_id]
    else:
        people = [(m.user_id, m.role) for m in user.artist_memberships if m.artist_id == line.payee_artist_id]
    return people[0][1] if people else None


def may_refund(user: User, line: OrderLine) -> bool:
    return user.is_admin or payee_role(user, line) == MemberRole.OWNER


def _line_of_payee(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = dict(view_args)
    line = get_session().get(OrderLine, granted.pop("line_id"))
    # Another payee's sale is answered exactly as one that does not exist.
    if line is None or not (user.is_admin or payee_role(user, line) is not None):
        abort(404)
    granted["line"] = line
    return granted


PAYEE_LINE = Rule("payee-line", True, True, _line_of_payee)


class RefundForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    amount = StringField("Amount to refund", [DataRequired("Enter the amount to refund.")])
    reason = TextAreaField(
        "Reason",
        [DataRequired("Say why you are refunding."), Length(max=300)],
        description="The fan reads this in the refund's mail.",
    )
    version = HiddenField()
    confirm = HiddenField()


@dataclass(frozen=True)
class RefundRow:
    amount: str
    status: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Sale:
    line_id: int
    title: str
    order_reference: str
    paid_at: datetime | None
    status: str
    currency: str
    amount: str
    processing_fee: str
    platform_fee: str
    payee_share: str
    payee: str
    refunded: str
    refundable_minor: int
    refundable: str
    refusal: str | None
    may_refund: bool
    version: int
    refunds: list[RefundRow]
    disputes: list[str]


def _money(minor: int | None, currency: str) -> str:
    return format_price(minor, currency) if minor is not None else "—"


def _sale(service: RefundService, line: OrderLine, user: User) -> Sale:
    session = service.session
    refunds = session.scalars(
        select(LineRefund).where(LineRefund.order_line_id == line.id).order_by(LineRefund.id)
    )
    disputes = session.scalars(select(Dispute).where(Dispute.order_id == line.order_id).order_by(Dispute.id))
    refusal = service.refusal(line)
    left = service.refundable(line)
    payee = line.payee_label or line.payee_artist
    return Sale(
        line_id=line.id,
        title=line.title,
        order_reference=line.order.reference,
        paid_at=line.order.paid_at,
        status=line.status.value.replace("_", " "),
        currency=line.currency,
        amount=_money(line.amount_minor, line.currency),
        processing_fee=_money(line.processing_fee_minor, line.currency),
        platform_fee=_money(line.platform_fee_minor, line.currency),
        payee_share=_money(line.payee_amount_minor, line.currency),
        payee=payee.name if payee is not None else "",
        refunded=_money(line.refunded_minor, line.currency),
        refundable_minor=left,
        refundable=_money(left, line.currency),
        refusal=refusal,
        may_refund=may_refund(user, line),
        version=refund_version(session, line),
        refunds=[
            RefundRow(_money(r.amount_minor, r.currency), r.status.value, r.reason, r.created_at)
            for r in refunds
        ],
        disputes=[f"{d.status.replace('_', ' ')} ({_money(d.amount_minor, d.currency)})" for d in disputes],
    )


def _service() -> RefundService:
    return RefundService(get_session(), queue=find_service(JobQueue), mail=find_service(MailService))


def _page(sale: Sale, form: RefundForm, code: int = 200) -> ResponseReturnValue:
    return render_template("orders/refund.html", sale=sale, form=form), code


@bp.route("/sales/<int:line_id>/refund", methods=["GET", "POST"])
@access(PAYEE_LINE)
def line_refund(line: OrderLine) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    service = _service()
    sale = _sale(service, line, user)
    form = RefundForm()
    if request.method == "GET":
        form.amount.data = format_price(sale.refundable_minor, line.currency).split(" ")[0]
        form.version.data = str(sale.version)
        return _page(sale, form)
    if not sale.may_refund:
        abort(403, "Only an owner of the payee, or an admin, can refund a sale.")
    if not form.validate():
        return _page(sale, form, 422)
    try:
        amount = parse_price(form.amount.data or "", line.currency)
        version = int(form.version.data or "")
    except InvalidCode as error:
        form.amount.errors = [*form.amount.errors, str(error)]
        return _page(sale, form, 422)
    except ValueError:
        form.form_errors.append("This form is incomplete; reload the page and try again.")
        return _page(sale, form, 400)
    if form.confirm.data != "yes":
        problem = sale.refusal or _amount_problem(amount, sale)
        if problem:
            form.form_errors.append(problem)
            return _page(sale, form, 409 if sale.refusal else 422)
        confirm = {"amount": format_price(amount, line.currency), "whole": amount == sale.refundable_minor}
        return render_template("orders/refund_confirm.html", sale=sale, form=form, confirm=confirm)
    try:
        service.refund_line(line, amount, reason=form.reason.data or "", by=user, version=version)
    except RefundError as error:
        form.form_errors.append(error.message)
        return _page(_sale(service, line, user), form, error.code)
    flash(
        f"A refund of {format_price(amount, line.currency)} is on its way to the fan. "
        "The fan and the payee are mailed once the payment provider confirms it.",
        "success",
    )
    return redirect(url_for(".line_refund", line_id=line.id), 303)


def _amount_problem(amount: int, sale: Sale) -> str | None:
    if amount <= 0:
        return "Enter an amount above zero."
    if amount > sale.refundable_minor:
        return f"At most {sale.refundable} can still be refunded for this sale."
    return None

"""Transfers that need an admin's eye: refused by the gateway, held for a payee who cannot receive, or asked
for and not yet confirmed. Reconciliation repairs what is safe; this page says what is waiting and why."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..accounts.access import ADMIN
from ..db import get_session, utcnow
from ..releases.identifiers import format_price
from ..web.access import access
from .models import PayoutTransfer, TransferStatus

bp = Blueprint("payout_attention", __name__)

# Asked for this long ago and still unconfirmed is worth a look (a job normally answers in seconds).
STUCK_AFTER = timedelta(minutes=30)


@bp.get("/admin/payouts")
@access(ADMIN)
def waiting() -> str:
    stuck_before = utcnow() - STUCK_AFTER
    rows = list(
        get_session().scalars(
            select(PayoutTransfer)
            .where(
                or_(
                    PayoutTransfer.status.in_((TransferStatus.FAILED, TransferStatus.HELD)),
                    (PayoutTransfer.status == TransferStatus.REQUESTED)
                    & (PayoutTransfer.created_at < stuck_before),
                )
            )
            .options(selectinload(PayoutTransfer.order))
            .order_by(PayoutTransfer.status, PayoutTransfer.created_at)
            .limit(500)
        )
    )
    return render_template("payouts/attention.html", rows=rows, format_price=format_price)

"""The receipt: mailed once an order is paid, saying where every cent of it went.

Sent by its own job after the commit that fulfilled the order, and marked on the order in the same
transaction that composes the mail, so a retried job or a second fulfilment never mails twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...db import utcnow
from ...jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ...jobs.runner import JobContext
from ...mail.services import MailService, render_outside_request
from ...releases.identifiers import format_price
from ..models import Order, OrderLine, OrderStatus
from .claims import claim_link

# {"order_id": int}
SEND_RECEIPT = JobSpec("orders.send_receipt")


@dataclass(frozen=True)
class ReceiptLine:
    title: str
    price: str
    payee: str  # who is paid for it: the artist, or the label that sells for it
    payee_receives: str
    processing_fee: str
    platform_fee: str


@dataclass(frozen=True)
class Receipt:
    reference: str
    lines: list[ReceiptLine]
    subtotal: str
    tax: str | None
    total: str
    free: bool
    sandbox: bool
    link: str  # the collection, or for a guest the claim link
    guest: bool


def _payee_name(line: OrderLine) -> str:
    if line.payee_label is not None:
        return line.payee_label.name
    return (line.payee_artist or line.artist).name


def build_receipt(order: Order, *, link: str, sandbox: bool) -> Receipt:
    currency = order.currency

    def money(minor: int | None) -> str:
        return format_price(minor or 0, currency)

    lines = [
        ReceiptLine(
            title=line.title,
            price=money(line.amount_minor),
            payee=_payee_name(line),
            payee_receives=money(line.payee_amount_minor),
            processing_fee=money(line.processing_fee_minor),
            platform_fee=money(line.platform_fee_minor),
        )
        for line in order.lines
    ]
    subtotal = sum(line.amount_minor for line in order.lines)
    total = order.amount_total_minor if order.amount_total_minor is not None else subtotal + order.tax_minor
    return Receipt(
        reference=order.reference,
        lines=lines,
        subtotal=money(subtotal),
        tax=money(order.tax_minor) if order.tax_minor else None,
        total=money(total),
        free=order.free,
        sandbox=sandbox,
        link=link,
        guest=order.buyer_id is None,
    )


def send_receipt(context: JobContext, payload: dict[str, Any]) -> None:
    platform = context.services
    base = str(platform.settings.base_url).rstrip("/")
    with context.transaction() as session:
        order = session.scalar(
            select(Order)
            .where(Order.id == int(payload["order_id"]))
            .options(selectinload(Order.lines))
            .with_for_update()
        )
        if order is None or order.status != OrderStatus.PAID or order.receipt_sent_at is not None:
            return
        to = order.email or (order.buyer.email if order.buyer is not None else None)
        if to:
            link = f"{base}/collection" if order.buyer_id else claim_link(base, platform.tokens, order)
            receipt = build_receipt(order, link=link, sandbox=order.gateway == "sandbox")
            MailService(session, JobQueue(session, platform.jobs), render_outside_request).send(
                "receipt",
                to,
                f"Your Velvet receipt ({order.reference})",
                "receipt",
                receipt=receipt,
            )
        order.receipt_sent_at = utcnow()


def register_jobs(registry: JobRegistry) -> None:
    registry.add(SEND_RECEIPT, send_receipt)

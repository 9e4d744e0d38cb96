"""A takedown settles with its buyers by job: the request costs the same whatever the number of buyers, and
every buyer gets exactly one notice, however often the job runs."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, select, update

from storefront.curation.models import RefundRequest, RefundStatus
from storefront.curation.takedown import SETTLE_JOB
from storefront.db import commit
from storefront.jobs.inline import InlineDispatcher
from storefront.jobs.models import Job, JobStatus
from storefront.mail.models import OutboundMessage
from storefront.orders.models import Entitlement, EntitlementSource, LineRefund, LineStatus, OrderLine
from storefront.orders.models import RefundStatus as LineRefundStatus
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
from tests.functional.orders.test_refund_support import RecordingGateway, paid_order, use_gateway
from tests.helpers import WebClient, fresh


@pytest.fixture
def shop(make_app):
    """Jobs wait until the test runs them, so the request and the job can be told apart."""
    app = make_app(inline_jobs="manual")
    platform = app.extensions["storefront"]
    session = platform.database.session()
    owner = make_user(session, platform, email="owner@example.com")
    artist = make_artist(session, owner, name="Pale Orchard", slug="pale-orchard")
    curator = WebClient(app)
    curator.login(make_user(session, platform, email="curator@example.com", admin=True).email, PASSWORD)
    yield platform, session, artist, curator
    session.close()


def _on_sale_with_buyers(session, platform, artist, buyers: int):
    release = make_release(session, artist)
    release.status = ReleaseStatus.APPROVED
    for n in range(buyers):
        user = make_user(session, platform, email=f"fan{release.id}-{n}@example.com")
        purchase = n % 2 == 0
        session.add(
            Entitlement(
                user=user,
                release_id=release.id,
                source=EntitlementSource.PURCHASE if purchase else EntitlementSource.GIFT,
                payment_reference=f"pi_{release.id}_{n}" if purchase else None,
                amount_minor=900 if purchase else 0,
            )
        )
    commit(session)
    return release


def _take_down(curator: WebClient, platform, release) -> int:
    """Takes the release down through the page; returns how many SQL statements the request ran."""
    statements = Counter[str]()

    def count(conn, cursor, statement, parameters, context, executemany):
        statements[statement.split()[0].upper()] += 1

    page = f"/review/releases/{release.id}"
    curator.get(page)  # the form, and its token, before counting
    event.listen(platform.database.engine, "before_cursor_execute", count)
    try:
        response = curator.submit(
            page,
            {"reason": "generative_ai", "message": "The stems show a voice model."},
            action=f"/review/releases/{release.id}/takedown",
        )
    finally:
        event.remove(platform.database.engine, "before_cursor_execute", count)
    assert response.status_code == 302, response.get_data(as_text=True)
    return sum(statements.values())


def _notices(session, release) -> Counter[str]:
    fresh(session)
    return Counter(
        session.scalars(
            select(OutboundMessage.to_address).where(
                OutboundMessage.kind == "takedown_notice",
                OutboundMessage.to_address.like(f"fan{release.id}-%"),
            )
        )
    )


def test_the_takedown_request_does_not_mail_buyers_nor_grow_with_them(shop):
    platform, session, artist, curator = shop
    few = _on_sale_with_buyers(session, platform, artist, 2)
    many = _on_sale_with_buyers(session, platform, artist, 14)

    cost_few = _take_down(curator, platform, few)
    cost_many = _take_down(curator, platform, many)

    assert cost_many == cost_few
    assert _notices(session, few) == Counter() and _notices(session, many) == Counter()
    settle = session.scalars(select(Job).where(Job.name == SETTLE_JOB.name)).all()
    assert sorted(job.payload["release_id"] for job in settle) == [few.id, many.id]
    assert session.scalars(select(RefundRequest)).all() == []
    # Nobody can download from a release that is taken down, settled or not.
    assert session.get(type(many), many.id).status == ReleaseStatus.TAKEN_DOWN


def test_running_the_jobs_tells_each_buyer_once_even_when_run_again(shop):
    platform, session, artist, curator = shop
    release = _on_sale_with_buyers(session, platform, artist, 7)
    _take_down(curator, platform, release)
    jobs = InlineDispatcher(platform.executor, mode="manual")
    jobs.drain()

    expected = Counter({f"fan{release.id}-{n}@example.com": 1 for n in range(7)})
    assert _notices(session, release) == expected
    holders = session.scalars(select(Entitlement).where(Entitlement.release_id == release.id)).all()
    assert all(e.revoked_at is not None for e in holders)
    refunds = session.scalars(select(RefundRequest).where(RefundRequest.release_id == release.id)).all()
    assert len(refunds) == 4 and {r.status for r in refunds} == {RefundStatus.REFUNDED}

    # A worker that died after its last commit but before marking the job done: the job runs again.
    with platform.database.transaction() as writer:
        writer.execute(update(Job).where(Job.name == SETTLE_JOB.name).values(status=JobStatus.QUEUED))
    assert jobs.drain() >= 1
    assert _notices(session, release) == expected
    assert len(session.scalars(select(RefundRequest)).all()) == 4


def test_a_purchase_made_through_an_order_is_refunded_through_its_line(shop):
    platform, session, artist, curator = shop
    gateway = RecordingGateway()
    use_gateway(platform, gateway)
    release = make_release(session, artist)
    release.status = ReleaseStatus.APPROVED
    commit(session)
    whole, partly = (
        paid_order(
            session, gateway, make_user(session, platform, email=f"buyer{n}@example.com"), [(release, 900)]
        )
        for n in range(2)
    )
    # One buyer already had 2.50 back: the takedown refunds what is left.
    session.add(
        LineRefund(
            line=partly.lines[0],
            amount_minor=250,
            currency="USD",
            reason="Scratchy",
            idempotency_key="velvet-refund-earlier",
            status=LineRefundStatus.SUCCEEDED,
        )
    )
    partly.lines[0].refunded_minor = 250
    # And a purchase from before orders, known only by its payment reference: the old path.
    legacy = make_user(session, platform, email="legacy@example.com")
    session.add(
        Entitlement(
            user=legacy,
            release_id=release.id,
            source=EntitlementSource.PURCHASE,
            payment_reference="pi_legacy",
            amount_minor=700,
        )
    )
    commit(session)
    gateway.add_charge("pi_legacy", 700)

    _take_down(curator, platform, release)
    InlineDispatcher(platform.executor, mode="manual").drain()

    fresh(session)
    takedown = session.scalars(select(LineRefund).where(LineRefund.reason == "takedown")).all()
    assert sorted(r.amount_minor for r in takedown) == [650, 900]
    assert {r.status for r in takedown} == {LineRefundStatus.SUCCEEDED}
    by_line = [c for c in gateway.refunds if c["key"].startswith("velvet-refund-")]
    assert sorted(c["amount"] for c in by_line) == [650, 900]
    assert {c["key"] for c in by_line} == {r.idempotency_key for r in takedown}
    for sale in (whole, partly):
        line = session.get(OrderLine, sale.lines[0].id)
        assert (line.status, line.refunded_minor) == (LineStatus.REFUNDED, 900)
    [old] = session.scalars(select(RefundRequest)).all()
    assert (old.payment_reference, old.status) == ("pi_legacy", RefundStatus.REFUNDED)
    # Its key is its own: a line refund with the same number is another refund.
    assert [c["key"] for c in gateway.refunds if c["reference"] == "pi_legacy"] == [
        f"velvet-takedown-refund-{old.id}"
    ]
    rights = session.scalars(select(Entitlement).where(Entitlement.release_id == release.id)).all()
    assert {r.revoked_reason for r in rights} == {"release taken down"}
    assert sorted(set(_notices_to(session, "buyer"))) == ["buyer0@example.com", "buyer1@example.com"]


def _notices_to(session, prefix: str) -> list[str]:
    return list(
        session.scalars(
            select(OutboundMessage.to_address).where(
                OutboundMessage.kind == "takedown_notice", OutboundMessage.to_address.like(f"{prefix}%")
            )
        )
    )

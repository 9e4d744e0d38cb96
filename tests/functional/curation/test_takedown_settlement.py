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
from storefront.orders.models import Entitlement, EntitlementSource
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import make_release
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

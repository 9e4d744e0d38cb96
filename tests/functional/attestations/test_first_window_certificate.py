"""The certificate shows a release's open first window as an unsigned listing fact, page and JSON, and the
signed status statement and its verification are as they were."""

from __future__ import annotations

from datetime import timedelta

from storefront.attestations.verification import verify_certificate
from storefront.db import commit, utcnow
from storefront.releases.models import Release
from storefront.releases.preorders import Calendar
from tests.factories.attestations import approve, attestation_url, signable_release, signature_form
from tests.helpers import ManualClock, fresh, text_of


def test_an_open_window_is_on_the_certificate_unsigned_and_goes_when_it_ends(
    signed_in, web, db, artist, tmp_path, override_service
):
    clock = ManualClock(utcnow())
    override_service(Calendar, Calendar(clock))
    release, _ = signable_release(db, artist, tmp_path)
    assert signed_in.submit(attestation_url(artist, release), signature_form()).status_code == 302
    approve(db, release.id)
    until = clock.now.date() + timedelta(days=5)
    fresh(db).get(Release, release.id).first_window_until = until
    commit(db)
    signed_in.logout()

    cert = web.get(f"/releases/{release.id}/certificate.json").get_json()
    assert cert["first_window"] == {"sold_here_first_until": until.isoformat()}
    assert "first_window" not in cert["status_statement"]["document"]
    assert "Here first until" in text_of(web.get(f"/releases/{release.id}/certificate"))
    verdict = verify_certificate(cert, web.get("/.well-known/velvet/platform-key.json").get_json()["keys"])
    assert verdict.ok, verdict.reasons

    clock.advance(timedelta(days=6))
    cert = web.get(f"/releases/{release.id}/certificate.json").get_json()
    assert cert["first_window"] is None
    assert "Here first until" not in text_of(web.get(f"/releases/{release.id}/certificate"))

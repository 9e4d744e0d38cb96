"""The gateway builds Stripe requests from the SDK's TypedDicts: strict mypy catches a misspelt parameter."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"

SNIPPET = """\
from __future__ import annotations

from typing import TYPE_CHECKING

import stripe

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

client = stripe.StripeClient("sk_test_fake")
good: SessionCreateParams = {"mode": "payment", "success_url": "https://shop.test/ok"}
client.v1.checkout.sessions.create(params=good)
client.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "https://shop.test/ok"})
bad: SessionCreateParams = {"mode": "payment", "sucess_url": "https://shop.test/ok"}
client.v1.checkout.sessions.create(params={"mode": "payment", "sucess_url": "https://shop.test/ok"})
"""


@pytest.mark.slow
def test_strict_mypy_refuses_a_misspelt_checkout_parameter(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET, encoding="utf-8")

    report, _, status = api.run(
        ["--config-file", str(PYPROJECT), "--strict", "--cache-dir", str(tmp_path / "cache"), str(snippet)]
    )

    errors = [line for line in report.splitlines() if ": error:" in line]
    assert status == 1
    assert [line.split(":")[1] for line in errors] == ["14", "15"], report
    assert 'Extra key "sucess_url" for TypedDict "SessionCreateParams"' in errors[0]

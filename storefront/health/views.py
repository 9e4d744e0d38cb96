"""`GET /healthz`: each part's status as JSON; 503 only when a part the site cannot run without fails."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from ..accounts.access import current_user
from ..container import Platform
from ..web.access import PUBLIC, access
from ..web.services import find_service
from .cache import HealthCache

bp = Blueprint("health", __name__)
# Without these the site cannot serve its pages or accept uploads. Any other part failing (payments, mail,
# screening) leaves it running with less, which is reported as degraded rather than taking it out of rotation.
ESSENTIAL = frozenset({"database", "storage", "jobs"})


def component_status(p: Platform) -> dict[str, dict[str, Any]]:
    components: dict[str, dict[str, Any]] = {}
    try:
        with p.database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        components["database"] = {"ok": True, "backend": p.database.engine.dialect.name}
    except Exception as exc:
        components["database"] = {
            "ok": False,
            "backend": p.database.engine.dialect.name,
            "detail": exc.__class__.__name__,
        }
    for name, check in (
        ("storage", p.storage.check),
        ("jobs", p.jobs.check),
        ("payments", p.payments.check),
        ("mail", p.mail_transport.check),
    ):
        try:
            result = check()
            components[name] = {"ok": result.ok, "backend": result.backend, "detail": result.detail}
        except Exception as exc:
            components[name] = {"ok": False, "detail": exc.__class__.__name__}
    # Screening that cannot run is said out loud, never skipped in silence.
    from ..screening.queries import screening_health

    try:
        components["screening"] = screening_health(p)
    except Exception as exc:
        components["screening"] = {"ok": False, "detail": exc.__class__.__name__}
    for name, status in components.items():
        status["status"] = "ok" if status["ok"] else "unavailable" if name in ESSENTIAL else "degraded"
    return components


def overall_status(components: dict[str, dict[str, Any]]) -> str:
    """Overall: unavailable when an essential part fails, degraded when another part does, else ok."""
    states = {status["status"] for status in components.values()}
    return next((state for state in ("unavailable", "degraded") if state in states), "ok")


@bp.get("/healthz")
@access(PUBLIC)
def healthz() -> ResponseReturnValue:
    p = find_service(Platform)
    # Probing reaches Stripe, the SMTP server and S3: anyone may ask, but at most once per cache window.
    components = find_service(HealthCache).get(lambda: component_status(p))
    state = overall_status(components)
    user = current_user()
    if user is None or not user.is_admin:
        # Backends, hostnames and exception names help an attacker more than a load balancer.
        components = {name: {"ok": c["ok"], "status": c["status"]} for name, c in components.items()}
    response = jsonify({"status": state, "components": components})
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if state == "unavailable" else 200

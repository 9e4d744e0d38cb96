"""`GET /healthz`: each component's status as JSON; 200 when all answer, 503 otherwise."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from ..container import Platform
from .access import PUBLIC, access
from .context import platform

bp = Blueprint("health", __name__)


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
    from ..provenance.screening_queries import screening_health

    try:
        components["screening"] = screening_health(p)
    except Exception as exc:
        components["screening"] = {"ok": False, "detail": exc.__class__.__name__}
    return components


@bp.get("/healthz")
@access(PUBLIC)
def healthz() -> ResponseReturnValue:
    components = component_status(platform())
    ok = all(c["ok"] for c in components.values())
    response = jsonify({"status": "ok" if ok else "unavailable", "components": components})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ok else 503

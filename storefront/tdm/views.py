"""No AI training without consent: robots.txt, the TDMRep reservation, and the policy it points to."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, url_for
from sqlalchemy import select

from ..db import get_session
from ..releases.models import Release, ReleaseStatus
from ..web.access import PUBLIC, access
from ..web.services import external_url

bp = Blueprint("tdm", __name__)

# Crawlers that collect text, images or audio for training AI models, as their operators name them.
AI_CRAWLERS = (
    "GPTBot",
    "ChatGPT-User",
    "OAI-SearchBot",
    "CCBot",
    "ClaudeBot",
    "Claude-Web",
    "anthropic-ai",
    "Google-Extended",
    "Applebot-Extended",
    "PerplexityBot",
    "Bytespider",
    "Amazonbot",
    "cohere-ai",
    "cohere-training-data-crawler",
    "Diffbot",
    "ImagesiftBot",
    "Omgilibot",
    "Omgili",
    "FacebookBot",
    "Meta-ExternalAgent",
    "Meta-ExternalFetcher",
    "YouBot",
    "Timpibot",
    "AI2Bot",
    "Ai2Bot-Dolma",
    "DuckAssistBot",
    "MistralAI-User",
    "PanguBot",
    "Kangaroo Bot",
    "Scrapy",
    "img2dataset",
)


def tdm_headers(response: Response, *, policy_url: str, reserved: bool = True) -> Response:
    """TDMRep (W3C community group) headers: mining is reserved, and the policy says on what terms."""
    response.headers.setdefault("tdm-reservation", "1" if reserved else "0")
    if reserved:
        response.headers.setdefault("tdm-policy", policy_url)
    return response


@bp.get("/robots.txt")
@access(PUBLIC)
def robots() -> Response:
    lines = [f"User-agent: {name}\nDisallow: /\n" for name in AI_CRAWLERS]
    lines.append("User-agent: *\nDisallow: /admin/\nDisallow: /review/\nDisallow: /storage/\nAllow: /\n")
    return Response("\n".join(lines), mimetype="text/plain")


@bp.get("/.well-known/tdmrep.json")
@access(PUBLIC)
def tdmrep() -> Response:
    """Releases whose artists opted in come first, each with its own terms; everything else is reserved."""
    rules = []
    opted_in = get_session().scalars(
        select(Release).where(Release.status == ReleaseStatus.APPROVED, Release.ai_training_opt_in.is_(True))
    )
    for release in opted_in:
        rules.append(
            {
                "location": url_for(
                    "catalog.release_page", slug=release.artist.slug, release_slug=release.slug
                ),
                "tdm-reservation": 0,
            }
        )
    rules.append({"location": "/*", "tdm-reservation": 1, "tdm-policy": external_url("tdm.policy")})
    return jsonify(rules)


@bp.get("/tdm-policy")
@access(PUBLIC)
def policy() -> str:
    return render_template("tdm_policy.html")

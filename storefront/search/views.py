"""GET /search (results grouped by kind, rendered on the server); GET /search/suggest.json (as you type)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from ..web.access import PUBLIC, access
from ..web.services import find_service
from .interfaces import Hit, Kind
from .query import QueryError, read_query
from .service import SearchService

bp = Blueprint("search", __name__)

KIND_LABELS = {
    Kind.ARTIST: ("Artist", "Artists"),
    Kind.RELEASE: ("Release", "Releases"),
    Kind.TRACK: ("Track", "Tracks"),
    Kind.LABEL: ("Label", "Labels"),
    Kind.TAG: ("Tag", "Tags"),
    Kind.GENRE: ("Genre", "Genres"),
}


@dataclass(frozen=True)
class Link:
    kind: Kind
    name: str
    context: str
    url: str

    def as_json(self) -> dict[str, str]:
        label = KIND_LABELS[self.kind][0]
        return {
            "kind": self.kind.value,
            "kind_label": label,
            "name": self.name,
            "context": self.context,
            "url": self.url,
        }


def _context(hit: Hit) -> str:
    if hit.kind in (Kind.TAG, Kind.GENRE):
        return f"{hit.popularity} release{'s' if hit.popularity != 1 else ''}"
    return hit.context


def link(hit: Hit) -> Link:
    if hit.kind is Kind.ARTIST:
        url = url_for("catalog.artist_page", slug=hit.slug)
    elif hit.kind is Kind.LABEL:
        url = url_for("catalog.label_page", slug=hit.slug)
    elif hit.kind is Kind.RELEASE:
        url = url_for("catalog.release_page", slug=hit.artist_slug, release_slug=hit.slug)
    elif hit.kind is Kind.TRACK:
        url = url_for(
            "catalog.track_page", slug=hit.artist_slug, release_slug=hit.slug, position=hit.position
        )
    elif hit.kind is Kind.TAG:
        url = url_for("catalog.tag_page", tag=hit.slug)
    else:
        url = url_for("catalog.genre_page", genre=hit.slug)
    return Link(hit.kind, hit.name, _context(hit), url)


@bp.get("/search")
@access(PUBLIC)
def results() -> tuple[str, int]:
    raw = request.args.get("q", "")
    try:
        query = read_query(raw)
    except QueryError as error:
        return render_template(
            "search/results.html", q=raw[:200], error=error.args[0], groups=[], searched=True
        ), 400
    groups = find_service(SearchService).search(query) if not query.empty else []
    shown = [
        (KIND_LABELS[group.kind][1], group.kind.value, group.similar_only, [link(hit) for hit in group.hits])
        for group in groups
    ]
    return render_template(
        "search/results.html", q=query.text, error=None, groups=shown, searched=bool(query.text)
    ), 200


@bp.get("/search/suggest.json")
@access(PUBLIC)
def suggest() -> tuple[Response, int]:
    try:
        query = read_query(request.args.get("q", ""))
    except QueryError as error:
        return jsonify({"error": error.args[0], "results": []}), 400
    hits = find_service(SearchService).suggest(query) if not query.empty else []
    return jsonify({"query": query.text, "results": [link(hit).as_json() for hit in hits]}), 200

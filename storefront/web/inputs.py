"""Untrusted input at the edge: ids in URLs, JSON bodies and their numbers, refused with a 400 or 404."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

# Every id column is a signed 64-bit integer: a larger number names no row, and the database would fail on it.
MAX_ID = 2**63 - 1
# No request body of ours nests more than a few levels; a deeper one is an attack on the parser.
MAX_JSON_DEPTH = 32


class IdConverter(IntegerConverter):
    """`<int:...>` limited to what a database id can hold, so a larger number is a plain 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class InputError(BadRequest):
    """A request body or value that cannot be used; the description says what was wrong."""


def _nesting(text: str) -> int:
    """The deepest nesting of arrays and objects, counted without parsing (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise InputError(f"The request body contains {name}, which is not a number we accept.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"The number {text[:40]} is too large.")
    return value


def parse_json_text(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON, refusing deep nesting, NaN, Infinity and numbers too large for a float, with InputError."""
    try:
        decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError:
        raise InputError("The request body is not UTF-8 text.") from None
    if _nesting(decoded) > max_depth:
        raise InputError(f"The request body nests deeper than {max_depth} levels.")
    try:
        return json.loads(decoded, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError("The request body is not valid JSON.") from None


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object; an empty body is an empty object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    data = parse_json_text(raw)
    if not isinstance(data, dict):
        raise InputError("The request body must be a JSON object.")
    return data


def whole_number(value: Any, what: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A JSON value that must be a whole number in [minimum, maximum] (`what` names it in the message)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{what} must be a whole number.")
    number: int
    if isinstance(value, float):
        if not value.is_integer():
            raise InputError(f"{what} must be a whole number.")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            raise InputError(f"{what} must be a whole number.")
        number = int(text)
    else:
        number = value
    if not minimum <= number <= maximum:
        raise InputError(f"{what} must be between {minimum} and {maximum}.")
    return number


def query_id(name: str) -> int | None:
    """An id from the query string, or None when absent, malformed or beyond any id."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def refuse_malformed_json() -> ResponseReturnValue | None:
    """Before any view: a JSON body must be a plain, finite, shallow object, whichever view reads it.

    Form views read JSON too (Flask-WTF takes a JSON body as form data), so the check cannot wait for
    the views that expect JSON."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.is_json:
        return None
    try:
        json_object()
    except InputError as error:
        return jsonify({"error": error.description}), 400
    return None

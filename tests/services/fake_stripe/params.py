"""Request bodies as Stripe reads them, checked against the SDK's own parameter TypedDicts.

v1 bodies and query strings use bracket encoding (`line_items[0][price_data][currency]=usd`); v2 bodies
are JSON. Both decode to nested dicts and are then walked against the `stripe.params…` TypedDict of the
endpoint, so an unknown key, a missing required key or a value of the wrong shape is refused the way Stripe
refuses it, and the fake follows whatever the installed SDK declares.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import typing_extensions
from stripe._request_options import RequestOptions

# Request options ride on some params TypedDicts for the SDK's convenience; Stripe never sees them as params.
_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


class ParamError(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0][c]=x` pairs into nested dicts; numeric keys stay strings until the schema says "list"."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head = raw_key.split("[", 1)[0]
        tail = raw_key[len(head) :]
        parts = [head, *_KEY_PART.findall(tail)]
        if not head or "".join(f"[{p}]" for p in parts[1:]) != tail:
            raise ParamError(f"Invalid parameter name: {raw_key}", raw_key)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":  # `expand[]=x`: append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise ParamError(f"Invalid parameter: {raw_key}", raw_key)
                node = child
    return root


def _name(path: tuple[str, ...]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:]) if path else ""


@cache
def _hints(typed_dict: type) -> tuple[dict[str, Any], frozenset[str]]:
    hints = typing_extensions.get_type_hints(
        typed_dict, localns={"StripeContext": object, "Mapping": Mapping}
    )
    fields = {k: v for k, v in hints.items() if k not in _OPTION_KEYS}
    required = frozenset(k for k in getattr(typed_dict, "__required_keys__", ()) if k not in _OPTION_KEYS)
    return fields, required


def check(params: Mapping[str, Any], typed_dict: type, *, form: bool) -> dict[str, Any]:
    """The params converted to their declared types (ints, bools, lists), or `ParamError`."""
    result = _typed_dict(params, typed_dict, (), form, top=True)
    return result


def _typed_dict(
    value: Any, typed_dict: type, path: tuple[str, ...], form: bool, *, top: bool
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ParamError(f"Invalid object: {_name(path)} must be a hash", _name(path))
    fields, required = _hints(typed_dict)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in fields and not (top and key == "expand"):
            raise ParamError(f"Received unknown parameter: {_name((*path, key))}", _name((*path, key)))
        hint = fields.get(key, list[str])
        if form and item == "" and key not in required:
            continue  # an empty form value unsets an optional parameter
        out[key] = _value(item, hint, (*path, key), form)
    missing = sorted(required - set(out))
    if missing:
        raise ParamError(f"Missing required param: {_name((*path, missing[0]))}.", _name((*path, missing[0])))
    return out


def _value(value: Any, hint: Any, path: tuple[str, ...], form: bool) -> Any:
    if hint is Any or hint is object:
        return value
    origin = get_origin(hint)
    if typing_extensions.is_typeddict(hint):
        return _typed_dict(value, hint, path, form, top=False)
    if origin is Union or origin is types.UnionType:
        return _union(value, get_args(hint), path, form)
    if origin is Literal or origin is typing_extensions.Literal:
        allowed = get_args(hint)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise ParamError(f"Invalid {_name(path)}: must be one of {choices}", _name(path))
        return value
    if origin is list:
        (item_hint,) = get_args(hint) or (Any,)
        items = _as_list(value, path)
        return [_value(v, item_hint, (*path, str(i)), form) for i, v in enumerate(items)]
    if origin is dict:
        _, item_hint = get_args(hint) or (str, Any)
        if not isinstance(value, Mapping):
            raise ParamError(f"Invalid object: {_name(path)} must be a hash", _name(path))
        return {str(k): _value(v, item_hint, (*path, str(k)), form) for k, v in value.items()}
    return _scalar(value, hint, path, form)


def _as_list(value: Any, path: tuple[str, ...]) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping) and all(str(k).isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise ParamError(f"Invalid array: {_name(path)} must be an array", _name(path))


def _union(value: Any, options: tuple[Any, ...], path: tuple[str, ...], form: bool) -> Any:
    # Try the alternatives whose shape matches the value first, so the most telling error is the one kept.
    def shape(hint: Any) -> str:
        if typing_extensions.is_typeddict(hint) or get_origin(hint) is dict:
            return "object"
        if get_origin(hint) is list:
            return "array"
        return "scalar"

    kind = "object" if isinstance(value, Mapping) else "array" if isinstance(value, list) else "scalar"
    numbered = kind == "object" and value and all(str(k).isdigit() for k in value)
    if numbered and any(shape(o) == "array" for o in options):
        kind = "array"
    ordered = [o for o in options if shape(o) == kind] + [o for o in options if shape(o) != kind]
    first: ParamError | None = None
    for option in ordered:
        if option is type(None):
            continue
        try:
            return _value(value, option, path, form)
        except ParamError as exc:
            first = first or exc
    raise first or ParamError(f"Invalid value for {_name(path)}", _name(path))


def _scalar(value: Any, hint: Any, path: tuple[str, ...], form: bool) -> Any:
    name = _name(path)
    if isinstance(value, Mapping | list):
        raise ParamError(f"Invalid {name}: expected a single value, not a hash or array", name)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if form and value in ("true", "false"):
            return value == "true"
        raise ParamError(f"Invalid boolean: {value}", name)
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if form and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        raise ParamError(f"Invalid integer: {value}", name)
    if hint in (float, Decimal):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ParamError(f"Invalid decimal: {value}", name) from None
    if hint is str:
        if isinstance(value, str):
            return value
        raise ParamError(f"Invalid string: {value!r}", name)
    # Types the fake does not model (UntypedStripeObject and the like) are taken as sent.
    if isinstance(hint, type) and hint.__module__.startswith("stripe"):
        raise ParamError(f"Invalid value for {name}", name)
    return value

"""Canonical JSON: the exact bytes the platform signs, per RFC 8785 for the value types we allow."""

from __future__ import annotations

import json

import pytest

from storefront.attestations.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalJsonError,
    canonical_bytes,
    canonical_sha256,
    canonical_text,
    sha256_hex,
)


def test_keys_are_sorted_and_whitespace_is_gone() -> None:
    doc = {"b": [1, 2, {"z": None, "a": True}], "a": "x", "c": {"y": False, "x": -3}}
    assert canonical_bytes(doc) == b'{"a":"x","b":[1,2,{"a":true,"z":null}],"c":{"x":-3,"y":false}}'


def test_member_order_is_by_utf16_code_units_not_code_points() -> None:
    # RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16 order.
    doc = {"\u20ac": "Euro", "\r": "CR", "\ufb33": "Hebrew", "1": "One", "\U0001f600": "Emoji",
           "\u0080": "Control", "\u00f6": "o-umlaut"}
    keys = list(json.loads(canonical_text(doc)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_string_escaping_matches_rfc8785_example() -> None:
    # The "string" and "literals" members of the RFC's canonicalisation example (its numbers are floats,
    # which this implementation refuses on purpose).
    doc = {"string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/", "literals": [None, True, False]}
    expected = '{"literals":[null,true,false],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical_text(doc) == expected
    assert canonical_bytes(doc) == expected.encode("utf-8")


@pytest.mark.parametrize(("text", "encoded"), [
    ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
    ("\x00\x1f", '"\\u0000\\u001f"'),
    ("/", '"/"'),
    ("\u2028\u00e9", '"\u2028\u00e9"'),
    ("\x7f", '"\x7f"'),
])
def test_individual_escapes(text: str, encoded: str) -> None:
    assert canonical_text(text) == encoded


def test_tuples_are_arrays_and_bools_are_not_integers() -> None:
    assert canonical_text({"t": (1, "a"), "b": True, "i": 1}) == '{"b":true,"i":1,"t":[1,"a"]}'


def test_integers_at_the_safe_limit_pass_and_beyond_it_fail() -> None:
    limit = MAX_SAFE_INTEGER
    assert canonical_text([limit, -limit]) == f"[{limit},-{limit}]"
    with pytest.raises(CanonicalJsonError, match="representable"):
        canonical_bytes({"n": MAX_SAFE_INTEGER + 1})


@pytest.mark.parametrize("value", [
    {"price": 1.5},
    {"x": float("nan")},
    {"x": 2.0},
    {1: "non-string key"},
    {"s": "\ud800"},
    {"b": b"bytes"},
    {"s": {1, 2}},
])
def test_values_without_a_single_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(CanonicalJsonError):
        canonical_bytes(value)


def test_error_names_the_offending_path() -> None:
    with pytest.raises(CanonicalJsonError, match=r"\$\.tracks\[1\]\.gain"):
        canonical_bytes({"tracks": [{"gain": 1}, {"gain": 0.5}]})


def test_round_trip_and_idempotence() -> None:
    doc = {"release": {"title": "Nuit blanche \u2014 \U0001f3b5",
                       "tracks": [{"isrc": "GBABC2500001", "n": 1}]},
           "statements": ["HM-1.1", "HM-1.2"], "signed": None}
    once = canonical_bytes(doc)
    assert json.loads(once) == doc
    assert canonical_bytes(json.loads(once)) == once


def test_ascii_documents_agree_with_a_sorted_compact_dump() -> None:
    doc = {"z": [1, {"b": "q\"uote", "a": "tab\t"}], "a": {"k": None}}
    assert canonical_text(doc) == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_hashes() -> None:
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert canonical_sha256({"b": 1, "a": 2}) == sha256_hex(b'{"a":2,"b":1}')
    assert canonical_sha256({"a": 2, "b": 1}) == canonical_sha256({"b": 1, "a": 2})

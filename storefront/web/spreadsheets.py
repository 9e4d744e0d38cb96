"""Cells of CSV exports that a spreadsheet opens as plain text, never as a formula."""

from __future__ import annotations


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula is prefixed with a quote."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

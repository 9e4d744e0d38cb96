"""The one shape of a refusal by a domain's rules, which views show next to the form field it concerns."""

from __future__ import annotations


class RuleError(Exception):
    """A request the rules refuse: `message` is written for the person who made it, and `field` (when given)
    names the form field the message belongs next to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

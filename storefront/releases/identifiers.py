"""Checks of the codes and amounts on a release: UPC/EAN, ISRC, currencies and prices."""

from __future__ import annotations

import re

ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{2}[0-9]{5}$")
# Currencies that Stripe settles for connected accounts, with their minor-unit exponent.
CURRENCIES: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "MXN": 2,
    "BRL": 2,
    "SGD": 2,
    "HKD": 2,
    "ILS": 2,
    "ZAR": 2,
    "JPY": 0,
}
# Far above any album's price; stops a typo of three zeros from reaching a fan's card.
MAX_PRICE_MAJOR = 1000


class InvalidCode(ValueError):
    pass


def normalise_upc(raw: str) -> str | None:
    """A UPC-A (12 digits) or EAN-13 with a correct check digit, or None for an empty field."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if not digits:
        return None
    if not digits.isdigit() or len(digits) not in (12, 13):
        raise InvalidCode("A UPC has 12 digits and an EAN 13; check the number on your distributor's sheet.")
    body, check = digits[:-1], int(digits[-1])
    # Weights alternate 3 and 1 from the digit next to the check digit, for both lengths.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        raise InvalidCode("This UPC/EAN's check digit does not match; a digit is probably mistyped.")
    return digits


def normalise_isrc(raw: str) -> str | None:
    """An ISRC as 12 characters (CC-XXX-YY-NNNNN without hyphens), or None for an empty field."""
    code = re.sub(r"[\s-]", "", raw or "").upper()
    if not code:
        return None
    if not ISRC_RE.match(code):
        raise InvalidCode("An ISRC looks like GB-ABC-24-00001: country, registrant, year and 5 digits.")
    return code


def parse_price(raw: str, currency: str) -> int:
    """An amount typed by a person ("7", "7.50", "7,50") in minor units of `currency`."""
    if currency not in CURRENCIES:
        raise InvalidCode(f"{currency} is not a currency we can take payments in.")
    exponent = CURRENCIES[currency]
    text = (raw or "").strip().replace(",", ".")
    if text == "":
        raise InvalidCode("Enter a price, or 0.")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise InvalidCode("Enter a price as a number, like 7 or 7.50.")
    whole, _, fraction = text.partition(".")
    if len(fraction) > exponent:
        raise InvalidCode(f"{currency} has {exponent or 'no'} decimal place{'s' if exponent != 1 else ''}.")
    if int(whole) > MAX_PRICE_MAJOR:
        raise InvalidCode(f"The most we accept is {MAX_PRICE_MAJOR} {currency}.")
    scale = int(10**exponent)
    return int(whole) * scale + int((fraction or "0").ljust(exponent, "0") or "0")


def format_price(minor: int, currency: str) -> str:
    exponent = CURRENCIES.get(currency, 2)
    if exponent == 0:
        return f"{minor} {currency}"
    scale = int(10**exponent)
    sign, whole = ("-" if minor < 0 else ""), abs(minor)
    return f"{sign}{whole // scale}.{whole % scale:0{exponent}d} {currency}"

"""SIREN and postcode validation (pure functions)."""

import re

_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")


def luhn_ok(digits: str) -> bool:
    """True when the string of digits passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_problem(value: str) -> str | None:
    """Why a SIREN is invalid (a message key), or None when it is valid."""
    if len(value) != 9:
        return "length"
    if not value.isascii() or not value.isdigit():
        return "digits"
    if not luhn_ok(value):
        return "checksum"
    return None


def normalise_siren(value: str) -> str:
    """Remove the spaces people type inside a SIREN (e.g. '732 829 320')."""
    return re.sub(r"[\s\u00a0.]", "", value or "")


def postcode_ok(value: str) -> bool:
    """A French postcode: five digits, department 01-98."""
    return bool(_POSTCODE.match(value or ""))

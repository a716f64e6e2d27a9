"""Text normalisation shared by search, geocoding and matching (pure, no Flask)."""

from __future__ import annotations

import re
import unicodedata

_SPLIT = re.compile(r"[^a-z0-9]+")


def _accent_table() -> dict[int, str]:
    """Latin letters with accents -> their base letters, derived from Unicode (NFKD)."""
    table = {ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae", ord("ß"): "ss"}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii():
            table[code] = base.lower()
    return table


_ACCENTS = _accent_table()


def fold(text: str | None) -> str:
    """Lower case, accents removed (NFKD), every non-alphanumeric run as one space."""
    if not text:
        return ""
    plain = text.lower().translate(_ACCENTS)
    if not plain.isascii():
        # Rare characters (other scripts, ligatures): the general Unicode way.
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPLIT.sub(" ", plain).strip()


def split_list(value: str | None) -> list[str]:
    """A ';'-separated field as a list of trimmed, non-empty, de-duplicated items."""
    items: list[str] = []
    seen: set[str] = set()
    for raw in (value or "").split(";"):
        item = " ".join(raw.split())
        key = fold(item)
        if item and key not in seen:
            seen.add(key)
            items.append(item)
    return items

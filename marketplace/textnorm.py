"""Text normalisation shared by search, geocoding and matching (pure, no Flask)."""

from __future__ import annotations

from marketplace.matching.text import fold

__all__ = ["fold", "split_list"]


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

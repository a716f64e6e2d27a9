"""What the matcher knows of a need and an offer (pure): plain data, what the vocabulary
and the words say of a text, its encoder vector, and the hard constraints between two."""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from marketplace.geo.distance import haversine_km
from marketplace.matching import encoder
from marketplace.matching.text import language, tokens
from marketplace.matching.vocabulary import Vocabulary


@dataclass(frozen=True)
class NeedData:
    ref: str
    title: str
    description: str = ""
    skills: str = ""
    category: str | None = None
    days: float = 1.0
    lat: float | None = None
    lon: float | None = None
    remote_ok: bool = False
    earliest: date | None = None
    latest: date | None = None
    # The encoder's vector of listing_text(...), when stored; computed when missing.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class OfferData:
    ref: str
    title: str
    description: str = ""
    skills: str = ""
    category: str | None = None
    days_remaining: float = 1.0
    lat: float | None = None
    lon: float | None = None
    max_km: float = 0.0
    remote_ok: bool = False
    available_from: date | None = None
    available_until: date | None = None
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass
class Match:
    need_ref: str
    offer_ref: str
    score: float
    rank: int = 0
    reasons: dict = field(default_factory=dict)


@dataclass
class Profile:
    """What a text names of the vocabulary (concept -> strength) and its words."""

    concepts: dict[str, float]
    matched_words: dict[str, list[str]]
    words: frozenset[str]
    language: str = "fr"
    # The title's and the skills' words alone: what a listing says it is about.
    heading: frozenset[str] = frozenset()


def profile(title: str, skills: str, description: str, vocabulary: Vocabulary) -> Profile:
    strengths: dict[str, float] = {}
    words: dict[str, list[str]] = defaultdict(list)
    every: set[str] = set()
    heading: set[str] = set()
    for text in (title, skills, description):
        typed = tokens(text)
        every.update(typed)
        if text is not description:
            heading.update(typed)
        for concept_id, matched in vocabulary.find_tokens(typed):
            strengths[concept_id] = 1.0
            if matched not in words[concept_id]:
                words[concept_id].append(matched)
    for concept_id in list(strengths):
        broader = vocabulary.concepts[concept_id].broader
        if broader:
            strengths.setdefault(broader, 0.7)
    # Interned: the same word in many listings is one string in memory.
    return Profile(
        strengths,
        dict(words),
        frozenset(sys.intern(w) for w in every),
        language(f"{title} {description}"),
        frozenset(sys.intern(w) for w in heading),
    )


def listing_text(item: NeedData | OfferData) -> str:
    return encoder.listing_text(item.title, item.skills, item.description)


def vectors_of(items: list[NeedData] | list[OfferData]) -> np.ndarray:
    """The items' vectors, encoding those that came without one."""
    out = np.zeros((len(items), encoder.DIMENSIONS), np.float32)
    missing = [i for i, item in enumerate(items) if item.vector is None]
    if missing:
        out[missing] = encoder.encode([listing_text(items[i]) for i in missing])
    for i, item in enumerate(items):
        if item.vector is not None:
            out[i] = item.vector
    return out


# ---------------------------------------------------------------- hard constraints


def windows_overlap(need: NeedData, offer: OfferData) -> bool:
    if None in (need.earliest, need.latest, offer.available_from, offer.available_until):
        return False
    return offer.available_from <= need.latest and offer.available_until >= need.earliest


def distance_km(need: NeedData, offer: OfferData) -> float | None:
    if None in (need.lat, need.lon, offer.lat, offer.lon):
        return None
    return haversine_km(need.lat, need.lon, offer.lat, offer.lon)


def feasible(need: NeedData, offer: OfferData) -> tuple[bool, float | None, str | None]:
    """(allowed, distance in km or None, why not). Never guesses an unknown distance."""
    if offer.days_remaining <= 0:
        return False, None, "capacity"
    if not windows_overlap(need, offer):
        return False, None, "window"
    distance = distance_km(need, offer)
    if need.remote_ok and offer.remote_ok:
        return True, distance, None
    if distance is None:
        return False, None, "distance_unknown"
    if distance > offer.max_km:
        return False, distance, "distance"
    return True, distance, None

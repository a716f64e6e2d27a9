"""Scoring needs against offers: hard constraints, concept overlap, fuzzy text (pure).

Plain data in (NeedData, OfferData), ranked Match lists out. No Flask, no SQLAlchemy:
the same code runs in the app, the CLI evaluation and the benchmarks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from rapidfuzz import fuzz, process

from marketplace.geo.distance import EARTH_RADIUS_KM, haversine_km
from marketplace.matching.text import normalise
from marketplace.matching.vocabulary import Vocabulary, default_vocabulary

DEFAULT_MIN_SCORE = 30.0
# Within one need, an offer far below the best one is noise, not a choice.
RELATIVE_CUTOFF = 0.5
FIELD_WEIGHTS = {"title": 1.0, "skills": 1.0, "description": 0.6}
BROADER_CREDIT = 0.7
CONCEPT_SHARE = 0.8  # the rest of the score is fuzzy similarity of titles and skills


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


@dataclass
class Match:
    need_ref: str
    offer_ref: str
    score: float
    rank: int = 0
    reasons: dict = field(default_factory=dict)


@dataclass
class Profile:
    """What a text is about: concept -> strength (0..1), and its normalised title+skills."""

    concepts: dict[str, float]
    matched_words: dict[str, list[str]]
    short_text: str


def profile(title: str, skills: str, description: str, vocabulary: Vocabulary) -> Profile:
    strengths: dict[str, float] = {}
    words: dict[str, list[str]] = defaultdict(list)
    for name, text in (
        ("title", title),
        ("skills", skills.replace(";", " ; ")),
        ("description", description),
    ):
        for concept_id, matched in vocabulary.find(text):
            strengths[concept_id] = max(strengths.get(concept_id, 0.0), FIELD_WEIGHTS[name])
            if matched not in words[concept_id]:
                words[concept_id].append(matched)
    for concept_id, strength in list(strengths.items()):
        broader = vocabulary.concepts[concept_id].broader
        if broader and strengths.get(broader, 0.0) < strength * BROADER_CREDIT:
            strengths[broader] = strength * BROADER_CREDIT
    return Profile(strengths, dict(words), normalise(f"{title} {skills.replace(';', ' ')}"))


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


# ---------------------------------------------------------------- scoring


def concept_weights(vocabulary: Vocabulary, offers: list[Profile]) -> dict[str, float]:
    """Vocabulary weight x inverse document frequency over the offers."""
    frequency: dict[str, int] = defaultdict(int)
    for item in offers:
        for concept_id in item.concepts:
            frequency[concept_id] += 1
    total = max(1, len(offers))
    return {
        concept_id: concept.weight * (1.0 + math.log((1 + total) / (1 + frequency[concept_id])))
        for concept_id, concept in vocabulary.concepts.items()
    }


def shared_concepts(need: Profile, offer: Profile, weights: dict[str, float]) -> list[str]:
    """Concepts both sides name directly, most telling first."""
    direct = [c for c in need.matched_words if c in offer.matched_words]
    return sorted(direct, key=lambda c: (-weights[c], c))


class OfferIndex:
    """The offers as arrays: concept weights, places, windows, capacity.

    Built once per run; each need is then scored against its candidate offers
    with vectorised arithmetic, never a needs x offers matrix.
    """

    def __init__(self, offers: list[OfferData], vocabulary: Vocabulary):
        self.offers = offers
        self.profiles = [profile(o.title, o.skills, o.description, vocabulary) for o in offers]
        self.weights = concept_weights(vocabulary, self.profiles)
        self.concept_ids = list(vocabulary.concepts)
        self.column = {c: i for i, c in enumerate(self.concept_ids)}
        self.concept_weight = np.array([self.weights[c] for c in self.concept_ids], np.float64)
        matrix = np.zeros((len(offers), len(self.concept_ids)), np.float64)
        for row, item in enumerate(self.profiles):
            for concept_id, strength in item.concepts.items():
                column = self.column[concept_id]
                matrix[row, column] = strength * self.concept_weight[column]
        # Concept-major (one contiguous row per concept): a need touches a handful of
        # concepts, so only those rows are read, for every offer at once.
        self.by_concept = np.ascontiguousarray(matrix.T)
        self.norms = np.linalg.norm(matrix, axis=1)
        nan = float("nan")
        self.lat = np.radians(np.array([nan if o.lat is None else o.lat for o in offers]))
        self.lon = np.radians(np.array([nan if o.lon is None else o.lon for o in offers]))
        self.cos_lat = np.cos(self.lat)
        self.max_km = np.array([o.max_km for o in offers], np.float64)
        self.remote = np.array([o.remote_ok for o in offers], bool)
        self.remaining = np.array([o.days_remaining for o in offers], np.float64)
        self.start = np.array([_day(o.available_from, -1) for o in offers], np.int64)
        self.end = np.array([_day(o.available_until, -2) for o in offers], np.int64)
        self.short_texts = [item.short_text for item in self.profiles]
        # Ties are broken by ref: each offer's place in ref order, for a vectorised sort.
        self.ref_rank = np.empty(len(offers), np.int64)
        self.ref_rank[sorted(range(len(offers)), key=lambda i: offers[i].ref)] = np.arange(
            len(offers)
        )

    def need_vector(self, need_profile: Profile) -> np.ndarray:
        vector = np.zeros(len(self.concept_ids), np.float64)
        for concept_id, strength in need_profile.concepts.items():
            column = self.column[concept_id]
            vector[column] = strength * self.concept_weight[column]
        return vector

    def feasible_overlap(
        self, need: NeedData, vector: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Blocking, hard constraints and concept overlap, vectorised over every offer:
        (the offers that share at least one concept with the need and break no hard
        constraint, their overlap 0-1, their distance in km or nan when unknown).

        Only the need's concepts are read (a few rows of `by_concept`); the distance is
        only computed where the concepts, the window and the capacity already fit.
        """
        columns = np.nonzero(vector)[0]
        if not len(columns) or need.earliest is None or need.latest is None:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        block = self.by_concept[columns]  # (need's concepts, offers)
        weights = vector[columns]
        coverage = np.minimum(block, weights[:, None]).sum(axis=0)  # > 0 iff a shared concept
        fits = (
            (coverage > 0)
            & (self.start <= need.latest.toordinal())
            & (self.end >= need.earliest.toordinal())
            & (self.remaining > 0)
        )
        rows = np.nonzero(fits)[0]
        distance = np.full(len(rows), np.nan)
        if need.lat is not None and need.lon is not None:
            lat, lon = math.radians(need.lat), math.radians(need.lon)
            a = (
                np.sin((self.lat[rows] - lat) / 2) ** 2
                + math.cos(lat) * self.cos_lat[rows] * np.sin((self.lon[rows] - lon) / 2) ** 2
            )
            distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        with np.errstate(invalid="ignore"):
            near = distance <= self.max_km[rows]  # nan (unknown) is never near
        allowed = near | (self.remote[rows] & bool(need.remote_ok))
        rows, distance = rows[allowed], distance[allowed]
        cosine = (weights @ block[:, rows]) / (self.norms[rows] * np.linalg.norm(weights))
        overlap = 0.6 * coverage[rows] / weights.sum() + 0.4 * cosine
        return rows, overlap, distance


def _day(value: date | None, missing: int) -> int:
    # A missing bound makes the window empty: start after end.
    if value is None:
        return 10**9 if missing == -1 else -(10**9)
    return value.toordinal()


def match_all(
    needs: list[NeedData],
    offers: list[OfferData],
    *,
    top: int = 5,
    min_score: float = DEFAULT_MIN_SCORE,
    vocabulary: Vocabulary | None = None,
    lang: str = "fr",
) -> dict[str, list[Match]]:
    """For each need, the feasible offers worth proposing, best first (at most `top`)."""
    vocabulary = vocabulary or default_vocabulary()
    index = OfferIndex(offers, vocabulary)
    results: dict[str, list[Match]] = {}
    for need in needs:
        need_profile = profile(need.title, need.skills, need.description, vocabulary)
        results[need.ref] = _match_one(need, need_profile, index, top, min_score, vocabulary, lang)
    return results


# Fuzzy text similarity adds at most (1 - CONCEPT_SHARE) of the score, so only
# the offers best on concepts can still reach the top: the others skip it.
FUZZY_SHORTLIST = 60


def _match_one(
    need: NeedData,
    need_profile: Profile,
    index: OfferIndex,
    top: int,
    min_score: float,
    vocabulary: Vocabulary,
    lang: str,
) -> list[Match]:
    vector = index.need_vector(need_profile)
    rows, overlap, distance = index.feasible_overlap(need, vector)
    if not len(rows):
        return []
    order = np.lexsort((rows, -overlap))[:FUZZY_SHORTLIST]
    order = order[overlap[order] > 0]
    if not len(order):
        return []
    fuzzy = process.cdist(
        [need_profile.short_text],
        [index.short_texts[r] for r in rows[order]],
        scorer=fuzz.token_sort_ratio,
        workers=-1,
        dtype=np.float32,
    )[0]
    scores = 100 * (CONCEPT_SHARE * overlap[order] + (1 - CONCEPT_SHARE) * fuzzy / 100)
    scores = np.round(scores, 1)
    ranked = np.lexsort((index.ref_rank[rows[order]], -scores))
    floor = max(min_score, float(scores[ranked[0]]) * RELATIVE_CUTOFF)
    kept = [k for k in ranked if scores[k] >= floor][:top]
    matches = []
    for rank, k in enumerate(kept, start=1):
        row = int(rows[order[k]])
        offer = index.offers[row]
        km = float(distance[order[k]])
        reasons = {
            "shared": shared_concepts(need_profile, index.profiles[row], index.weights),
            "distance_km": None if math.isnan(km) else round(km, 1),
            "remote": bool(need.remote_ok and offer.remote_ok),
            "window": _overlap_window(need, offer),
            "concept_score": round(float(overlap[order[k]]), 3),
            "text_score": round(float(fuzzy[k]), 1),
        }
        reasons["text"] = explain(reasons, vocabulary, lang)
        matches.append(Match(need.ref, offer.ref, float(scores[k]), rank, reasons))
    return matches


def _overlap_window(need: NeedData, offer: OfferData) -> list[str]:
    start = max(need.earliest, offer.available_from)
    end = min(need.latest, offer.available_until)
    return [start.isoformat(), end.isoformat()]


WORDS = {
    "fr": {
        "shared": "Compétences communes",
        "remote": "à distance possible",
        "km": "km",
        "from": "disponible du",
        "to": "au",
        "unknown": "distance inconnue",
    },
    "en": {
        "shared": "Shared skills",
        "remote": "remote work possible",
        "km": "km",
        "from": "available from",
        "to": "to",
        "unknown": "distance unknown",
    },
}


def explain(reasons: dict, vocabulary: Vocabulary, lang: str = "fr") -> str:
    """« Compétences communes : contrats de travail, CDD · 23 km · disponible du 12/01 au 28/02 »"""
    words = WORDS.get(lang, WORDS["fr"])
    labels = [vocabulary.concepts[c].labels.get(lang, c) for c in reasons["shared"][:4]]
    parts = (
        [
            f"{words['shared']} : {', '.join(labels)}"
            if lang == "fr"
            else f"{words['shared']}: {', '.join(labels)}"
        ]
        if labels
        else []
    )
    if reasons["remote"]:
        parts.append(words["remote"])
    elif reasons["distance_km"] is not None:
        parts.append(f"{reasons['distance_km']:.0f} {words['km']}")
    else:
        parts.append(words["unknown"])
    start, end = (date.fromisoformat(d) for d in reasons["window"])
    fmt = "%d/%m" if lang == "fr" else "%b %d"
    parts.append(f"{words['from']} {start.strftime(fmt)} {words['to']} {end.strftime(fmt)}")
    return " · ".join(parts)

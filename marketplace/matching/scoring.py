"""Scoring needs against offers: hard constraints, then how relevant each feasible offer is
(pure: no Flask, no SQLAlchemy; the same code runs in the app, the CLI evaluation and the
benchmarks).

Every feasible offer is a candidate: the hard constraints are vectorised filters over all
offers. Relevance is the calibrated probability of relevance.py, from the texts' encoder
vectors, the words they share and the vocabulary (a boost and a false-friend guard, no
longer a gate). A score is that probability in per cent; below the line nothing is
proposed. Each pair is scored on its own, so one listing matched at a time gives what a
batch run gives.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from marketplace.geo.distance import EARTH_RADIUS_KM, haversine_km
from marketplace.matching import encoder, relevance
from marketplace.matching.explain import closest_phrase, explain, phrases_of, what_is_said
from marketplace.matching.text import language, surface_forms, tokens
from marketplace.matching.vocabulary import Vocabulary, default_vocabulary

# The line: an offer is proposed when it is acceptable with a probability of at least
# 30 % (docs/matching.md says how it was chosen). « Très pertinent » from 60 %.
DEFAULT_MIN_SCORE = 30.0
HIGH_SCORE = 60.0
# Semantic candidates scored per need; offers sharing a concept or a word are added.
SHORTLIST = 100
# Needs whose similarities to every offer are computed in one matrix product.
NEED_BATCH = 256
# A word written by more than this share of the offers tells nothing (blocking only).
COMMON_WORD_SHARE = 0.05


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


def _point(lat: float | None, lon: float | None) -> tuple[float, float, float]:
    """A place on the unit sphere; nan when unknown."""
    if lat is None or lon is None:
        return (math.nan, math.nan, math.nan)
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def km(chord2: float) -> float | None:
    """The great-circle distance for a squared chord on the unit sphere (None: unknown)."""
    if math.isnan(chord2):
        return None
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(chord2) / 2))


def _day(value: date | None, missing: int) -> int:
    # A missing bound makes the window empty: start after end.
    if value is None:
        return 10**9 if missing == -1 else -(10**9)
    return value.toordinal()


# ---------------------------------------------------------------- the offers as arrays


class RowSets:
    """A set of keys per offer (words, concepts) as integer ids in CSR arrays: counting
    how many of a need's keys each of a few offers has costs what those offers hold."""

    def __init__(self, per_row: list):
        self.ids: dict[str, int] = {}
        indptr, indices = [0], []
        for keys in per_row:
            indices.extend(self.ids.setdefault(k, len(self.ids)) for k in keys)
            indptr.append(len(indices))
        self.indptr = np.array(indptr, np.int64)
        self.indices = np.array(indices, np.int64)

    def count(self, rows: np.ndarray, keys) -> np.ndarray:
        wanted = [self.ids[k] for k in keys if k in self.ids]
        found = np.zeros(len(rows), np.float64)
        if not wanted or not len(rows):
            return found
        starts = self.indptr[rows]
        sizes = self.indptr[rows + 1] - starts
        total = int(sizes.sum())
        if not total:
            return found
        # The positions of every key of every row, in one array: start + 0..size-1.
        positions = np.arange(total) + np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        member = np.zeros(len(self.ids), bool)
        member[wanted] = True
        hits = member[self.indices[positions]]
        owner = np.repeat(np.arange(len(rows)), sizes)
        return np.bincount(owner, weights=hits, minlength=len(rows))


class OfferIndex:
    """The offers as arrays (places, windows, capacity, vectors) and their profiles.

    Built once per run; each need is then filtered and scored against every offer with
    vectorised arithmetic, never a needs x offers matrix.
    """

    def __init__(self, offers: list[OfferData], vocabulary: Vocabulary):
        self.offers = offers
        self.vocabulary = vocabulary
        self.profiles = [profile(o.title, o.skills, o.description, vocabulary) for o in offers]
        self.vectors = vectors_of(offers)
        # Places as points on the unit sphere (nan where unknown): a block of needs gets its
        # distances to every offer from one matrix product; max_km as the longest chord.
        self.xyz = np.array([_point(o.lat, o.lon) for o in offers]).reshape(len(offers), 3).T
        self.max_km = np.array([o.max_km for o in offers], np.float64)
        half_angle = np.minimum(self.max_km / (2 * EARTH_RADIUS_KM), math.pi / 2)
        self.chord2_max = (2 * np.sin(half_angle)) ** 2
        self.remote = np.array([o.remote_ok for o in offers], bool)
        self.remaining = np.array([o.days_remaining for o in offers], np.float64)
        self.start = np.array([_day(o.available_from, -1) for o in offers], np.int64)
        self.end = np.array([_day(o.available_until, -2) for o in offers], np.int64)
        # Ties are broken by ref: each offer's place in ref order, for a vectorised sort.
        self.ref_rank = np.empty(len(offers), np.int64)
        self.ref_rank[sorted(range(len(offers)), key=lambda i: offers[i].ref)] = np.arange(
            len(offers)
        )
        # Each offer's words, directly named concepts, and concepts with their broader ones,
        # to count a need's among a few offers; posting lists of the rarer words and of the
        # concepts bring candidates beside the semantic ones.
        self.words = RowSets([p.words for p in self.profiles])
        self.headings = RowSets([p.heading for p in self.profiles])
        self.direct = RowSets([p.matched_words for p in self.profiles])
        self.related = RowSets([p.concepts for p in self.profiles])
        common = max(20, int(COMMON_WORD_SHARE * len(offers)))
        by_word: dict[str, list[int]] = defaultdict(list)
        by_direct: dict[str, list[int]] = defaultdict(list)
        for row, item in enumerate(self.profiles):
            for word in item.words:
                by_word[word].append(row)
            for concept_id in item.matched_words:
                by_direct[concept_id].append(row)
        self.by_word = {w: np.array(r, np.int64) for w, r in by_word.items() if len(r) <= common}
        self.by_direct = {c: np.array(r, np.int64) for c, r in by_direct.items()}
        self.direct_count = np.array([len(p.matched_words) for p in self.profiles], np.float64)
        self.english = np.array([p.language == "en" for p in self.profiles], bool)
        categories = sorted({o.category for o in offers if o.category})
        self.category_code = {c: i for i, c in enumerate(categories, start=1)}
        self.category = np.array([self.category_code.get(o.category, 0) for o in offers])
        self._phrases: dict[int, list[tuple[str, str]]] = {}

    def feasible_block(self, needs: list[NeedData]) -> tuple[np.ndarray, np.ndarray]:
        """For a block of needs at once: (allowed, chord²), each (needs, offers).

        allowed: no hard constraint broken (window, days left, distance unless both sides
        accept remote work; an unknown distance is never near). chord²: squared chord
        between the places on the unit sphere (nan when unknown), see km().
        """
        early = np.array([_day(n.earliest, -1) for n in needs], np.int64)
        late = np.array([_day(n.latest, -2) for n in needs], np.int64)
        fits = (
            (self.start[None, :] <= late[:, None])
            & (self.end[None, :] >= early[:, None])
            & (self.remaining > 0)[None, :]
        )
        here = np.array([_point(n.lat, n.lon) for n in needs]).reshape(len(needs), 3)
        with np.errstate(invalid="ignore"):
            chord2 = np.maximum(0.0, 2.0 - 2.0 * (here @ self.xyz))
            # nan (unknown) is never near; the margin keeps a rounding difference with the
            # haversine of feasible() from ever letting through a pair it refuses.
            near = chord2 <= self.chord2_max[None, :] * (1 - 1e-9)
        remote = np.array([bool(n.remote_ok) for n in needs])
        allowed = fits & (near | (remote[:, None] & self.remote[None, :]))
        return allowed, chord2

    def phrases(self, row: int) -> list[tuple[str, str]]:
        """The offer's phrases for explanations, normalised once per run."""
        found = self._phrases.get(row)
        if found is None:
            offer = self.offers[row]
            found = self._phrases[row] = phrases_of(offer.title, offer.skills)
        return found

    def evidence(self, need_profile: Profile) -> np.ndarray:
        """For every offer: the need's concepts it names (twice) and rarer words it writes."""
        found = np.zeros(len(self.offers), np.float64)
        for concept_id in need_profile.matched_words:
            rows = self.by_direct.get(concept_id)
            if rows is not None:
                found[rows] += 2
        for word in need_profile.words:
            rows = self.by_word.get(word)
            if rows is not None:
                found[rows] += 1
        return found


# ---------------------------------------------------------------- matching


def pair_features(
    need: NeedData,
    need_profile: Profile,
    semantic: np.ndarray,
    semantic_z: np.ndarray,
    rows: np.ndarray,
    index: OfferIndex,
) -> np.ndarray:
    """One row of relevance.FEATURES per offer in `rows` (see relevance.py), counted from
    the posting lists for all offers at once, then read at `rows`."""
    out = np.zeros((len(rows), len(relevance.FEATURES)), np.float64)
    out[:, 0] = semantic
    out[:, 1] = semantic_z
    telling = relevance.telling(need_profile.words)
    if telling:
        out[:, 2] = index.words.count(rows, telling) / len(telling)
    need_direct = need_profile.matched_words
    if need_direct:
        shared = index.direct.count(rows, need_direct)
        union = len(need_direct) + index.direct_count[rows] - shared
        out[:, 3] = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
        related = index.related.count(rows, need_profile.concepts)
        out[:, 4] = (index.direct_count[rows] > 0) & (related == 0)
    out[:, 6] = index.english[rows] != (need_profile.language == "en")
    out[:, 7] = out[:, 1] * out[:, 6]
    heading = relevance.telling(need_profile.heading)
    if heading:
        out[:, 8] = index.headings.count(rows, heading) / len(heading)
    code = index.category_code.get(need.category or "", 0)
    if code:
        theirs = index.category[rows]
        out[:, 5] = np.where(theirs == 0, 0.0, np.where(theirs == code, 1.0, -1.0))
    return out


def match_all(
    needs: list[NeedData],
    offers: list[OfferData],
    *,
    top: int = 5,
    min_score: float = DEFAULT_MIN_SCORE,
    vocabulary: Vocabulary | None = None,
    lang: str = "fr",
) -> dict[str, list[Match]]:
    """For each need, the feasible offers at or above `min_score`, best first (at most `top`)."""
    index = OfferIndex(offers, vocabulary or default_vocabulary())
    model = relevance.load_model()
    prepared = list(prepare_needs(needs, index.vocabulary))
    results: dict[str, list[Match]] = {}
    # Batches of needs sized so that a (needs, offers) block stays near 2 million cells.
    batch = max(16, min(NEED_BATCH, 2_000_000 // max(1, len(offers))))
    for start in range(0, len(prepared), batch):
        part = prepared[start : start + batch]
        # Per batch of needs, matrix products (BLAS 3) rather than one pass per need.
        sims = np.stack([item[2] for item in part]) @ index.vectors.T
        allowed, chord2 = index.feasible_block([item[0] for item in part])
        for k, item in enumerate(part):
            results[item[0].ref] = _match_one(
                *item, index, model, top, min_score, lang, (allowed[k], chord2[k], sims[k])
            )
    return results


def prepare_needs(needs: list[NeedData], vocabulary: Vocabulary):
    """For each need: (need, its profile, its vector, its (mean, spread) to the anchors)."""
    vectors = vectors_of(needs)
    means, spreads = relevance.anchor_stats(vectors) if needs else ([], [])
    for i, need in enumerate(needs):
        need_profile = profile(need.title, need.skills, need.description, vocabulary)
        yield need, need_profile, vectors[i], (float(means[i]), float(spreads[i]))


def candidates(
    need: NeedData,
    need_profile: Profile,
    vector: np.ndarray,
    anchor: tuple[float, float],
    index: OfferIndex,
    shortlist: int | None = SHORTLIST,
    block: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the feasible offers worth scoring, their squared chords (see km()), their features).

    `block`: the need's row of feasible_block() and its cosines to every offer, when
    computed for a batch of needs. With more than `shortlist` feasible offers, the
    `shortlist` semantically closest ones are kept, and as many of those sharing the most
    concepts and rarer words with the need.
    """
    if block is None:
        allowed, chord2 = index.feasible_block([need])
        block = (allowed[0], chord2[0], index.vectors @ vector)
    rows = np.nonzero(block[0])[0]
    distance, semantic = block[1][rows], block[2][rows]
    if shortlist is not None and len(rows) > shortlist:
        keep = np.zeros(len(rows), bool)
        keep[np.argpartition(-semantic, shortlist)[:shortlist]] = True
        evidence = index.evidence(need_profile)[rows]
        some = int(np.count_nonzero(evidence))
        if some:
            best = min(shortlist, some)
            keep[np.argpartition(-evidence, best - 1)[:best]] = True
        rows, distance, semantic = rows[keep], distance[keep], semantic[keep]
    semantic_z = (semantic - anchor[0]) / anchor[1]
    return rows, distance, pair_features(need, need_profile, semantic, semantic_z, rows, index)


def _match_one(
    need: NeedData,
    need_profile: Profile,
    vector: np.ndarray,
    anchor: tuple[float, float],
    index: OfferIndex,
    model: relevance.RelevanceModel,
    top: int,
    min_score: float,
    lang: str,
    block: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[Match]:
    rows, chord2, features = candidates(need, need_profile, vector, anchor, index, block=block)
    if not len(rows):
        return []
    scores = np.round(100 * model.probability(features), 1)
    ranked = np.lexsort((index.ref_rank[rows], -scores))
    kept = ranked[scores[ranked] >= min_score][:top]
    said = what_is_said(need.title, need.skills) if len(kept) else ""
    written = surface_forms(f"{need.title} {need.skills} {need.description}") if len(kept) else {}
    matches = []
    for rank, k in enumerate(kept, start=1):
        row = int(rows[k])
        offer = index.offers[row]
        distance = km(float(chord2[k]))
        shared = sorted(set(need_profile.matched_words) & set(index.profiles[row].matched_words))
        reasons = {
            "shared": shared,
            "terms": [
                written.get(w, w)
                for w in relevance.telling(need_profile.words & index.profiles[row].words)[:4]
            ],
            "closest": closest_phrase(said, index.phrases(row)),
            "relevance": "high" if scores[k] >= HIGH_SCORE else "medium",
            "proposed": bool(scores[k] >= DEFAULT_MIN_SCORE),
            "distance_km": None if distance is None else round(distance, 1),
            "remote": bool(need.remote_ok and offer.remote_ok),
            "window": _overlap_window(need, offer),
            "semantic": round(float(features[k, 0]), 3),
            "lexical": round(float(features[k, 2]), 3),
        }
        reasons["text"] = explain(reasons, index.vocabulary, lang)
        matches.append(Match(need.ref, offer.ref, float(scores[k]), rank, reasons))
    return matches


def _overlap_window(need: NeedData, offer: OfferData) -> list[str]:
    start = max(need.earliest, offer.available_from)
    end = min(need.latest, offer.available_until)
    return [start.isoformat(), end.isoformat()]

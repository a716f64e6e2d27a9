"""The offers as arrays, built once per run (pure): places, windows, capacity, vectors,
and each offer's words and concepts, so that a batch of needs is filtered and scored against
every offer with vectorised arithmetic, never a needs x offers matrix of Python objects."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import numpy as np

from marketplace.geo.distance import EARTH_RADIUS_KM
from marketplace.matching.explain import phrases_of
from marketplace.matching.listings import NeedData, OfferData, Profile, profile, vectors_of
from marketplace.matching.vocabulary import Vocabulary

# A word written by more than this share of the offers tells nothing (blocking only).
COMMON_WORD_SHARE = 0.05


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

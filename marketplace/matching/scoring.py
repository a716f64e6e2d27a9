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

import numpy as np

from marketplace.matching import relevance
from marketplace.matching.explain import closest_phrase, explain, what_is_said
from marketplace.matching.listings import (  # noqa: F401 - the matcher's data, re-exported
    Match,
    NeedData,
    OfferData,
    Profile,
    distance_km,
    feasible,
    listing_text,
    profile,
    vectors_of,
    windows_overlap,
)
from marketplace.matching.offer_index import OfferIndex, km
from marketplace.matching.text import surface_forms
from marketplace.matching.vocabulary import Vocabulary, default_vocabulary

# The line: an offer is proposed when it is acceptable with a probability of at least
# 30 % (docs/matching.md says how it was chosen). « Très pertinent » from 60 %.
DEFAULT_MIN_SCORE = 30.0
HIGH_SCORE = 60.0
# Semantic candidates scored per need; offers sharing a concept or a word are added.
SHORTLIST = 100
# Needs whose similarities to every offer are computed in one matrix product.
NEED_BATCH = 256


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

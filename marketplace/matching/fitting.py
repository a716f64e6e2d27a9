"""Fitting the relevance model on labelled sets, and measuring it fairly (pure).

`flask --app wsgi match fit DIR [DIR ...]` calls this: every feasible pair of each set
becomes a row of features (scoring.candidates, the same code as the matcher's), labelled
by the set's gold; a logistic regression with a light L2 penalty is fitted; figures come
from cross-validation grouped by need (a need's pairs are never both fitted and scored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marketplace.matching import relevance
from marketplace.matching.evaluation import Figures, evaluate
from marketplace.matching.scoring import (
    Match,
    NeedData,
    OfferData,
    OfferIndex,
    candidates,
    prepare_needs,
)
from marketplace.matching.vocabulary import default_vocabulary


@dataclass
class LabelledSet:
    name: str
    needs: list[NeedData]
    offers: list[OfferData]
    gold: dict[str, dict[str, int]]


@dataclass
class Pairs:
    features: np.ndarray
    labels: np.ndarray
    need_refs: list[str]
    offer_refs: list[str]


def pairs_of(labelled: LabelledSet) -> Pairs:
    """Every feasible (need, offer) pair of the set, its features and its label."""
    index = OfferIndex(labelled.offers, default_vocabulary())
    blocks, labels, need_refs, offer_refs = [], [], [], []
    for need, need_profile, vector, anchor in prepare_needs(labelled.needs, index.vocabulary):
        rows, _distance, features = candidates(
            need, need_profile, vector, anchor, index, shortlist=None
        )
        wanted = labelled.gold.get(need.ref, {})
        for row in rows:
            offer_ref = labelled.offers[row].ref
            labels.append(offer_ref in wanted)
            need_refs.append(need.ref)
            offer_refs.append(offer_ref)
        blocks.append(features)
    width = len(relevance.FEATURES)
    return Pairs(
        np.vstack(blocks) if blocks else np.zeros((0, width)),
        np.array(labels, np.float64),
        need_refs,
        offer_refs,
    )


def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = 1.0) -> dict:
    """Standardised features, Newton's method (a few steps converge on data this size)."""
    mean = features.mean(axis=0)
    scale = np.where(features.std(axis=0) > 1e-9, features.std(axis=0), 1.0)
    x = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    penalty = l2 * np.r_[np.ones(x.shape[1] - 1), 0.0]
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        gradient = x.T @ (p - labels) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {
        "features": list(relevance.FEATURES),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "weights": w[:-1].round(6).tolist(),
        "bias": round(float(w[-1]), 6),
    }


def results_at(
    pairs: Pairs, probability: np.ndarray, threshold: float, top: int = 5
) -> dict[str, list[Match]]:
    """What the matcher would propose with these probabilities and this line."""
    by_need: dict[str, list[tuple[float, str]]] = {}
    for need_ref, offer_ref, p in zip(pairs.need_refs, pairs.offer_refs, probability, strict=True):
        score = round(100 * float(p), 1)
        if score >= 100 * threshold:
            by_need.setdefault(need_ref, []).append((score, offer_ref))
    return {
        need_ref: [
            Match(need_ref, offer_ref, score, rank)
            for rank, (score, offer_ref) in enumerate(
                sorted(found, key=lambda t: (-t[0], t[1]))[:top], start=1
            )
        ]
        for need_ref, found in by_need.items()
    }


def cross_validate(
    sets: list[LabelledSet], thresholds: list[float], folds: int = 5, seed: int = 0
) -> dict[str, dict[float, Figures]]:
    """Figures per set and threshold, each pair scored by a model fitted without its need."""
    all_pairs = [pairs_of(s) for s in sets]
    keys = sorted({(i, ref) for i, p in enumerate(all_pairs) for ref in p.need_refs})
    order = np.random.default_rng(seed).permutation(len(keys))
    fold_of = {keys[k]: n % folds for n, k in enumerate(order)}
    features = np.vstack([p.features for p in all_pairs])
    labels = np.concatenate([p.labels for p in all_pairs])
    fold = np.array([fold_of[(i, ref)] for i, p in enumerate(all_pairs) for ref in p.need_refs])
    probability = np.zeros(len(labels))
    for f in range(folds):
        model = relevance.RelevanceModel.from_dict(
            fit_logistic(features[fold != f], labels[fold != f])
        )
        probability[fold == f] = model.probability(features[fold == f])
    figures: dict[str, dict[float, Figures]] = {}
    start = 0
    for labelled, pairs in zip(sets, all_pairs, strict=True):
        mine = probability[start : start + len(pairs.labels)]
        start += len(pairs.labels)
        figures[labelled.name] = {
            t: evaluate(results_at(pairs, mine, t), labelled.gold, labelled.needs, labelled.offers)
            for t in thresholds
        }
    return figures

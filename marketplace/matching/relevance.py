"""How likely an offer is to be acceptable for a need: features of the pair and a small
calibrated model over them (pure: numpy only).

Every feature depends on the need and the offer alone, never on the other offers on
the market: a pair's score does not move when an unrelated offer is published, so
matching one listing at a time gives what a batch run gives.

- semantic: cosine of the two texts' encoder vectors;
- semantic_z: that cosine against the need's cosines to a fixed set of reference
  listings (data/anchors.txt): how far the offer stands out from ordinary listings,
  which tells a real fit from texts that are merely about work in general;
- lexical: share of the need's telling words (folded, stemmed, no stop words, three
  letters or more, or a number) the offer also writes: codes and abbreviations an
  encoder does not know (ISO 9001, DUERP, CACES);
- concepts: overlap of the vocabulary concepts named directly on each side;
- conflict: both sides name vocabulary concepts and none is shared, not even a
  broader one (the false-friend guard: "presse" the machine vs the newspapers);
- category: +1 same category, -1 different, 0 when one side has none.

The weights come from `flask --app wsgi match fit DIR...` (logistic regression on labelled
sets); docs/matching.md has the figures and how the threshold was chosen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from marketplace.matching import encoder

DATA = Path(__file__).parent / "data"
MODEL_PATH = DATA / "relevance.json"
ANCHORS_PATH = DATA / "anchors.txt"
FEATURES = (
    "semantic",
    "semantic_z",
    "lexical",
    "concepts",
    "conflict",
    "category",
    "cross_language",
    "semantic_z_across",
    "heading_lexical",
)


@dataclass(frozen=True)
class RelevanceModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    @classmethod
    def from_dict(cls, data: dict) -> RelevanceModel:
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError(f"the model's features {names} are not {FEATURES}")
        return cls(
            names,
            np.array(data["mean"], np.float64),
            np.array(data["scale"], np.float64),
            np.array(data["weights"], np.float64),
            float(data["bias"]),
        )

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(acceptable) for each row of `features` (columns in FEATURES order)."""
        z = (features - self.mean) / self.scale @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@lru_cache(maxsize=1)
def load_model() -> RelevanceModel:
    return RelevanceModel.from_dict(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


def anchor_texts() -> list[str]:
    lines = ANCHORS_PATH.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def anchor_vectors() -> np.ndarray:
    return encoder.encode(anchor_texts())


def anchor_stats(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of each vector's cosines to the reference listings."""
    sims = np.atleast_2d(vectors) @ anchor_vectors().T
    return sims.mean(axis=1), np.maximum(sims.std(axis=1), 1e-3)


def telling(words) -> list[str]:
    """The words that can tell a subject (three letters or more, or a number), sorted."""
    return sorted(w for w in words if len(w) >= 3 or w.isdigit())

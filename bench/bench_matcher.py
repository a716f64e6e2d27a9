"""10,000 needs x 10,000 offers: the matcher against brute-force token_set_ratio.

Targets (issue 12): with the vectors stored, at most 1/20 of the brute-force time; from
cold (every text encoded first), at most 1/3. Memory bounded (no needs x offers matrix).
BENCH_N / BENCH_M change the sizes. This times the pure matcher (no database): the
vectors are encoded once, as `match embed` would store them. For 50,000 x 50,000:
BENCH_RANDOM_VECTORS=1 (random unit vectors: encoding 100,000 texts takes minutes and the
matcher's cost does not depend on what they say) and BENCH_BRUTE=0 (the brute force would
take over an hour).
"""

from __future__ import annotations

import os
import random
import resource
import time
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
from common import ROOT  # noqa: F401 - puts the project on sys.path
from rapidfuzz import fuzz, process

from marketplace.matching import encoder, scoring
from marketplace.matching.scoring import NeedData, OfferData, match_all
from marketplace.matching.vocabulary import default_vocabulary

N = int(os.environ.get("BENCH_N", "10000"))
M = int(os.environ.get("BENCH_M", "10000"))
FILLER = (
    "Nous sommes une PME de 25 salariés en Lorraine. We are a small plant. "
    "Accompagnement sur place souhaité, visio possible. "
).split()


def phrases(rng: random.Random) -> list[str]:
    vocabulary = default_vocabulary()
    found = []
    for entries in vocabulary.terms_by_head.values():
        for words, _concept in entries:
            found.append(" ".join(words))
    rng.shuffle(found)
    return found


def text(rng: random.Random, pool: list[str], words: int) -> str:
    picked = rng.sample(pool, 3) + rng.sample(FILLER, min(words, len(FILLER)))
    rng.shuffle(picked)
    return " ".join(picked)


def generate(seed: int = 11):
    rng = random.Random(seed)
    pool = phrases(rng)
    start = date(2026, 1, 1)

    def window():
        first = start + timedelta(days=rng.randrange(0, 330))
        return first, first + timedelta(days=rng.randrange(14, 200))

    def place():
        return 48.0 + rng.random() * 1.6, 5.5 + rng.random() * 1.6

    needs = []
    for i in range(N):
        first, last = window()
        lat, lon = place()
        needs.append(
            NeedData(
                f"N-{i}",
                text(rng, pool, 3),
                text(rng, pool, 12),
                ";".join(rng.sample(pool, 2)),
                None,
                2,
                lat,
                lon,
                rng.random() < 0.4,
                first,
                last,
            )
        )
    offers = []
    for i in range(M):
        first, last = window()
        lat, lon = place()
        offers.append(
            OfferData(
                f"O-{i}",
                text(rng, pool, 3),
                text(rng, pool, 12),
                ";".join(rng.sample(pool, 2)),
                None,
                5,
                lat,
                lon,
                rng.choice([0, 30, 60, 100]),
                rng.random() < 0.5,
                first,
                last,
            )
        )
    return needs, offers


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    needs, offers = generate()
    print(f"{N} needs x {M} offers, {os.cpu_count()} cores")
    before = peak_mb()
    started = time.perf_counter()
    if os.environ.get("BENCH_RANDOM_VECTORS") == "1":
        rng = np.random.default_rng(5)
        need_vectors, offer_vectors = (
            v / np.linalg.norm(v, axis=1, keepdims=True)
            for v in (
                rng.standard_normal((N, encoder.DIMENSIONS), np.float32),
                rng.standard_normal((M, encoder.DIMENSIONS), np.float32),
            )
        )
    else:
        need_vectors = encoder.encode([scoring.listing_text(n) for n in needs])
        offer_vectors = encoder.encode([scoring.listing_text(o) for o in offers])
    encoding = time.perf_counter() - started
    needs = [replace(n, vector=v) for n, v in zip(needs, need_vectors, strict=True)]
    offers = [replace(o, vector=v) for o, v in zip(offers, offer_vectors, strict=True)]
    print(f"encoding {N + M} texts: {encoding:.1f} s ({(N + M) / encoding:.0f} texts/s)")
    started = time.perf_counter()
    results = match_all(needs, offers, top=5)
    ours = time.perf_counter() - started
    proposals = sum(len(v) for v in results.values())
    print(
        f"matcher with stored vectors: {ours:.1f} s, "
        f"{proposals} proposals, peak RSS {peak_mb():.0f} MB (was {before:.0f} MB)"
    )
    if os.environ.get("BENCH_BRUTE") == "0":
        return
    need_texts = [f"{n.title} {n.skills} {n.description}" for n in needs]
    offer_texts = [f"{o.title} {o.skills} {o.description}" for o in offers]
    started = time.perf_counter()
    matrix = process.cdist(
        need_texts, offer_texts, scorer=fuzz.token_set_ratio, workers=-1, dtype=np.uint8
    )
    brute = time.perf_counter() - started
    print(
        f"brute force cdist(token_set_ratio, workers=-1): {brute:.1f} s "
        f"({matrix.nbytes / 1e6:.0f} MB matrix), peak RSS {peak_mb():.0f} MB"
    )
    print(f"ratio, vectors stored: {ours / brute:.3f} of brute force (target <= 0.05)")
    cold = ours + encoding
    print(f"ratio, from cold: {cold / brute:.3f} of brute force (target <= 0.333)")


if __name__ == "__main__":
    main()

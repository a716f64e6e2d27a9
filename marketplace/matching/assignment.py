"""Global assignment: one offer per need, within offer capacities and the quota (pure).

Each need is served by a single offer for all its days (a mission is one expert), so
the problem is a generalised assignment with day sizes, NP-hard in general; a
min-cost flow is exact only when needs may be split across offers, which missions
do not allow. Greedy by score is simple to explain to a committee ("best fits
first") and close to the optimum on such problems (bench/bench_assign.py measures
it against an exhaustive search).
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.matching.scoring import Match


@dataclass(frozen=True)
class Pairing:
    need_ref: str
    offer_ref: str
    days: float
    score: float


def assign_greedy(
    results: dict[str, list[Match]],
    need_days: dict[str, float],
    offer_days: dict[str, float],
    quota_days: float | None = None,
) -> list[Pairing]:
    """Best-scoring pairings first, skipping any that would overfill an offer or the quota."""
    left = dict(offer_days)
    used = 0.0
    chosen: list[Pairing] = []
    served: set[str] = set()
    candidates = sorted(
        (m for matches in results.values() for m in matches),
        key=lambda m: (-m.score, m.need_ref, m.offer_ref),
    )
    for match in candidates:
        days = need_days[match.need_ref]
        if match.need_ref in served or left.get(match.offer_ref, 0.0) < days:
            continue
        if quota_days is not None and used + days > quota_days:
            continue
        left[match.offer_ref] -= days
        used += days
        served.add(match.need_ref)
        chosen.append(Pairing(match.need_ref, match.offer_ref, days, match.score))
    return chosen


def total_score(pairings: list[Pairing]) -> float:
    return round(sum(p.score for p in pairings), 1)

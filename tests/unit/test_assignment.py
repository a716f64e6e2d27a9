"""Greedy global assignment (pure)."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.matching.assignment import assign_greedy, total_score
from marketplace.matching.scoring import Match


def m(need, offer, score):
    return Match(need, offer, score)


def test_best_fits_first_within_capacity_and_quota():
    results = {
        "N-1": [m("N-1", "O-1", 90), m("N-1", "O-2", 60)],
        "N-2": [m("N-2", "O-1", 80), m("N-2", "O-2", 70)],
        "N-3": [m("N-3", "O-2", 50)],
    }
    pairings = assign_greedy(results, {"N-1": 2, "N-2": 2, "N-3": 1}, {"O-1": 3, "O-2": 3})
    assert [(p.need_ref, p.offer_ref) for p in pairings] == [
        ("N-1", "O-1"),
        ("N-2", "O-2"),
        ("N-3", "O-2"),
    ]
    limited = assign_greedy(
        results, {"N-1": 2, "N-2": 2, "N-3": 1}, {"O-1": 3, "O-2": 3}, quota_days=3
    )
    assert sum(p.days for p in limited) <= 3
    assert [(p.need_ref, p.offer_ref) for p in limited] == [("N-1", "O-1"), ("N-3", "O-2")]
    assert total_score(limited) == 140


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000))
def test_never_over_capacity_or_quota_and_one_offer_per_need(seed):
    rng = random.Random(seed)
    needs = {f"N-{i}": rng.choice([0.5, 1, 2, 3]) for i in range(rng.randint(1, 8))}
    offers = {f"O-{i}": rng.choice([0.5, 1, 3, 5]) for i in range(rng.randint(1, 5))}
    results = {
        n: [
            m(n, o, rng.randint(30, 100))
            for o in rng.sample(list(offers), rng.randint(0, len(offers)))
        ]
        for n in needs
    }
    quota = rng.choice([None, 2, 5, 10])
    pairings = assign_greedy(results, needs, offers, quota)
    assert len({p.need_ref for p in pairings}) == len(pairings)
    for offer, capacity in offers.items():
        assert sum(p.days for p in pairings if p.offer_ref == offer) <= capacity
    if quota is not None:
        assert sum(p.days for p in pairings) <= quota
    for p in pairings:
        assert any(x.offer_ref == p.offer_ref for x in results[p.need_ref])


def _exhaustive(results, needs, offers, quota):
    names = list(needs)
    best = 0.0
    options = [[None, *results[n]] for n in names]
    for combo in itertools.product(*options):
        left, used, score = dict(offers), 0.0, 0.0
        ok = True
        for name, choice in zip(names, combo, strict=True):
            if choice is None:
                continue
            left[choice.offer_ref] -= needs[name]
            used += needs[name]
            score += choice.score
            ok = ok and left[choice.offer_ref] >= 0 and (quota is None or used <= quota)
        if ok:
            best = max(best, score)
    return best


def test_greedy_is_close_to_the_optimum_on_small_problems():
    rng = random.Random(3)
    ratios = []
    for _ in range(60):
        needs = {f"N-{i}": rng.choice([0.5, 1, 2]) for i in range(6)}
        offers = {f"O-{i}": rng.choice([1, 2, 3]) for i in range(3)}
        results = {
            n: [m(n, o, rng.randint(30, 100)) for o in rng.sample(list(offers), 2)] for n in needs
        }
        optimum = _exhaustive(results, needs, offers, 6)
        greedy = total_score(assign_greedy(results, needs, offers, 6))
        ratios.append(greedy / optimum if optimum else 1.0)
    print(f"greedy/optimum: min {min(ratios):.3f}, mean {sum(ratios) / len(ratios):.4f}")
    assert min(ratios) >= 0.7
    assert sum(ratios) / len(ratios) >= 0.95

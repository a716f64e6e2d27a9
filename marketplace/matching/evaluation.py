"""Measuring the matcher against a gold file (pure: plain data in, figures out)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from marketplace.matching.scoring import Match, NeedData, OfferData, feasible
from marketplace.matching.text import language


def abstention_auc(confidence: dict[str, float], has_fit: dict[str, bool]) -> float | None:
    """How well a need's best score tells needs with an acceptable offer from those without:
    the chance that a random need with one scores above a random need without (ties half).
    None when the set has only one kind."""
    positives = [confidence[r] for r, fit in has_fit.items() if fit]
    negatives = [confidence[r] for r, fit in has_fit.items() if not fit]
    if not positives or not negatives:
        return None
    wins = sum((p > q) + 0.5 * (p == q) for p in positives for q in negatives)
    return wins / (len(positives) * len(negatives))


@dataclass
class Figures:
    recall_at_5: float
    mrr: float
    precision_at_1: float
    relevant_share: float
    violations: int
    no_match_proposed_share: float
    needs: int
    proposals: int
    abstention_auc: float | None = None
    # "fr-en": need in French, its acceptable offers in English -> recall@5, MRR, needs.
    by_language: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def read_gold(path: Path) -> dict[str, dict[str, int]]:
    gold: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            gold.setdefault(row["need_ref"], {})[row["offer_ref"]] = int(row["grade"])
    return gold


def evaluate(
    results: dict[str, list[Match]],
    gold: dict[str, dict[str, int]],
    needs: list[NeedData],
    offers: list[OfferData],
) -> Figures:
    """recall@5 and MRR over needs that have gold; precision@1; relevant share; violations."""
    by_ref = {o.ref: o for o in offers}
    with_gold = [n for n in needs if gold.get(n.ref)]
    without = [n for n in needs if not gold.get(n.ref)]
    recall, reciprocal, first_ok, relevant, proposals, violations = 0.0, 0.0, 0, 0, 0, 0
    for need in needs:
        for match in results.get(need.ref, []):
            proposals += 1
            relevant += match.offer_ref in gold.get(need.ref, {})
            if not feasible(need, by_ref[match.offer_ref])[0]:
                violations += 1
    pairs: dict[str, list[tuple[float, float]]] = {}
    for need in with_gold:
        ranked = [m.offer_ref for m in results.get(need.ref, [])]
        wanted = gold[need.ref]
        need_recall = len(set(ranked[:5]) & set(wanted)) / len(wanted)
        hit = next((i for i, ref in enumerate(ranked, start=1) if ref in wanted), None)
        recall += need_recall
        reciprocal += 1 / hit if hit else 0
        first_ok += bool(ranked) and ranked[0] in wanted
        best_gold = by_ref[max(wanted, key=wanted.get)]
        pair = f"{_language_of(need)}-{_language_of(best_gold)}"
        pairs.setdefault(pair, []).append((need_recall, 1 / hit if hit else 0.0))
    proposed_without = sum(1 for n in without if results.get(n.ref))
    count = max(1, len(with_gold))
    return Figures(
        recall_at_5=recall / count,
        mrr=reciprocal / count,
        precision_at_1=first_ok / count,
        relevant_share=relevant / proposals if proposals else 1.0,
        violations=violations,
        no_match_proposed_share=proposed_without / len(without) if without else 0.0,
        needs=len(needs),
        proposals=proposals,
        abstention_auc=abstention_auc(
            {n.ref: max((m.score for m in results.get(n.ref, [])), default=0.0) for n in needs},
            {n.ref: bool(gold.get(n.ref)) for n in needs},
        ),
        by_language={
            pair: {
                "recall_at_5": round(sum(r for r, _ in rows) / len(rows), 3),
                "mrr": round(sum(m for _, m in rows) / len(rows), 3),
                "needs": len(rows),
            }
            for pair, rows in sorted(pairs.items())
        },
    )


def _language_of(listing) -> str:
    return language(f"{listing.title} {listing.description}")

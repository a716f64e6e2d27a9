"""Measuring the matcher against a gold file (pure: plain data in, figures out)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from marketplace.matching.scoring import Match, NeedData, OfferData, feasible


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
    for need in with_gold:
        ranked = [m.offer_ref for m in results.get(need.ref, [])]
        wanted = gold[need.ref]
        recall += len(set(ranked[:5]) & set(wanted)) / len(wanted)
        hit = next((i for i, ref in enumerate(ranked, start=1) if ref in wanted), None)
        reciprocal += 1 / hit if hit else 0
        first_ok += bool(ranked) and ranked[0] in wanted
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
    )

"""`flask --app wsgi match ...`: propose, evaluate (thin wrappers over the services)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from marketplace import clock
from marketplace.conventions.models import Convention
from marketplace.extensions import db
from marketplace.matching.assignment import total_score
from marketplace.matching.embeddings import fill_vectors, missing_listings
from marketplace.matching.scoring import DEFAULT_MIN_SCORE
from marketplace.matching.services import plan_assignment, refresh_proposals

match_cli = AppGroup("match", help="The matcher: proposals, evaluation.")


def _rows(results) -> list[dict]:
    return [
        {
            "need": m.need_ref,
            "offer": m.offer_ref,
            "rank": m.rank,
            "score": m.score,
            "reasons": m.reasons,
        }
        for need_ref in sorted(results)
        for m in results[need_ref]
    ]


@match_cli.command("propose")
@click.option(
    "--top", type=click.IntRange(1, 50), help="Offers kept per need (default: MATCH_TOP, 5)."
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    help=f"Below this score nothing is proposed (default: MATCH_MIN_SCORE, {DEFAULT_MIN_SCORE:g}).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True
)
def propose(top: int | None, min_score: float | None, fmt: str) -> None:
    """Score every open need against every open offer, store and print the proposals."""

    results = refresh_proposals(clock.now(), top=top, min_score=min_score)
    db.session.commit()
    rows = _rows(results)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, default=float))
        return
    for row in rows:
        click.echo(
            f"{row['need']:<12} {row['rank']:>2}. {row['offer']:<12} "
            f"{row['score']:5.1f}  {row['reasons']['text']}"
        )
    needs_with = len({r["need"] for r in rows})
    click.echo(f"{len(rows)} proposal(s) for {needs_with} need(s).")


@match_cli.command("embed")
def embed() -> None:
    """Compute the text vectors missing or stale (new listings, imports, a new model)."""
    missing = missing_listings()
    if not missing:
        click.echo("Every live need and offer has its vector.")
        return
    with click.progressbar(length=len(missing), label="Encoding", file=sys.stderr) as bar:
        done = fill_vectors(missing, progress=bar.update)
        db.session.commit()
    click.echo(f"{done} vector(s) computed.")


@match_cli.command("assign")
@click.option(
    "--convention",
    "convention_id",
    type=int,
    help="Only this convention's SMEs and partner groups, within its quota.",
)
@click.option("--quota", "quota_days", type=click.FloatRange(0), help="Days available at most.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True
)
def assign(convention_id: int | None, quota_days: float | None, fmt: str) -> None:
    """Propose one offer per need, never over an offer's days left or the quota."""

    convention = None
    if convention_id is not None:
        convention = db.session.get(Convention, convention_id)
        if convention is None:
            raise click.BadParameter(f"no convention {convention_id}", param_hint="--convention")
    pairings, _needs, _offers, quota = plan_assignment(convention, quota_days)
    rows = [
        {"need": p.need_ref, "offer": p.offer_ref, "days": p.days, "score": p.score}
        for p in pairings
    ]
    days = sum(p.days for p in pairings)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "pairings": rows,
                    "days": days,
                    "quota": quota,
                    "total_score": total_score(pairings),
                }
            )
        )
        return
    for row in rows:
        click.echo(
            f"{row['need']:<12} -> {row['offer']:<12} {row['days']:>5g} d  score {row['score']:.1f}"
        )
    quota_text = "no quota" if quota is None else f"quota {quota:g} d"
    click.echo(
        f"{len(rows)} pairing(s), {days:g} day(s) ({quota_text}), "
        f"total score {total_score(pairings)}"
    )

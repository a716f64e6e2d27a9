"""`flask --app wsgi match ...`: propose, evaluate (thin wrappers over the services)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

from marketplace import clock
from marketplace.extensions import db
from marketplace.matching.scoring import DEFAULT_MIN_SCORE

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
    from marketplace.matching.services import refresh_proposals

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
    from marketplace.conventions.models import Convention
    from marketplace.matching.assignment import total_score
    from marketplace.matching.services import plan_assignment

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


def evaluate_directory(directory: Path, top: int = 5, min_score: float = DEFAULT_MIN_SCORE) -> dict:
    """Import DIR's needs and offers into a throw-away database and score the matcher."""
    from flask_migrate import upgrade

    from config import TestConfig
    from marketplace import create_app
    from marketplace.geo.services import DEMO_COMMUNES, import_communes
    from marketplace.imports.csvio import decode
    from marketplace.imports.services import apply_import, plan_import
    from marketplace.matching.evaluation import evaluate, read_gold
    from marketplace.matching.services import compute, need_data, offer_data, open_needs
    from marketplace.offers.models import Offer

    with tempfile.TemporaryDirectory(prefix="match-evaluate-") as folder:
        config = type(
            "EvaluateConfig",
            (TestConfig,),
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/evaluate.sqlite3"},
        )
        app = create_app(config)
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parents[2] / "migrations"))
            import_communes(DEMO_COMMUNES.read_text(encoding="utf-8"))
            now = clock.now()
            for kind in ("needs", "offers"):
                plan = plan_import(kind, decode((directory / f"{kind}.csv").read_bytes()))
                if not plan.ok:
                    raise click.ClickException(
                        f"{kind}.csv: " + "; ".join(str(e) for e in plan.errors[:5])
                    )
                apply_import(plan, now)
            db.session.commit()
            needs = open_needs()
            offers = list(db.session.scalars(db.select(Offer).order_by(Offer.ref)))
            results = compute(needs, offers, top=top, min_score=min_score)
            figures = evaluate(
                results,
                read_gold(directory / "gold.csv"),
                [need_data(n) for n in needs],
                [offer_data(o) for o in offers],
            )
            db.session.remove()
            db.engine.dispose()
    return figures.as_dict()


@match_cli.command("evaluate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--top", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option(
    "--min-score", default=DEFAULT_MIN_SCORE, show_default=True, type=click.FloatRange(0, 100)
)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
def evaluate_command(directory: Path, top: int, min_score: float, fmt: str) -> None:
    """Score the matcher on DIR (needs.csv, offers.csv, gold.csv) in a throw-away database."""
    for name in ("needs.csv", "offers.csv", "gold.csv"):
        if not (directory / name).is_file():
            raise click.ClickException(f"{directory / name} is missing")
    figures = evaluate_directory(directory, top, min_score)
    if fmt == "json":
        click.echo(json.dumps(figures))
        return
    labels = {
        "recall_at_5": "recall@5",
        "mrr": "MRR",
        "precision_at_1": "precision@1",
        "relevant_share": "share of proposals relevant",
        "violations": "hard-constraint violations",
        "no_match_proposed_share": "no-match needs that got a proposal",
        "needs": "needs",
        "proposals": "proposals",
    }
    for key, label in labels.items():
        click.echo(f"{label:<38} {figures[key]}")

"""`match evaluate DIR` and `match fit DIR...`: the matcher on labelled sets (format v1 +
gold.csv), each imported into a throw-away database by the real importer.

An edge of its own (a second app on a temporary SQLite file), hence outside the matching
feature, which never builds an app.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import numpy as np
from flask_migrate import upgrade

from config import TestConfig
from marketplace import clock, create_app
from marketplace.accounts.roles import COMMAND_LINE
from marketplace.extensions import db
from marketplace.geo.services import DEMO_COMMUNES, import_communes
from marketplace.imports.csvio import decode
from marketplace.imports.services import apply_import, plan_import
from marketplace.matching import relevance
from marketplace.matching.evaluation import evaluate, read_gold
from marketplace.matching.fitting import LabelledSet, cross_validate, fit_logistic, pairs_of
from marketplace.matching.scoring import DEFAULT_MIN_SCORE, match_all
from marketplace.matching.services import need_data, offer_data, open_needs
from marketplace.offers.models import Offer

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
FILES = ("needs.csv", "offers.csv", "gold.csv")


def _check(directory: Path) -> None:
    for name in FILES:
        if not (directory / name).is_file():
            raise click.ClickException(f"{directory / name} is missing")


@contextmanager
def labelled_set(directory: Path) -> Iterator[LabelledSet]:
    """DIR's needs and offers as the matcher sees them once imported, with DIR's gold."""
    with tempfile.TemporaryDirectory(prefix="match-evaluate-") as folder:
        config = type(
            "EvaluateConfig",
            (TestConfig,),
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/evaluate.sqlite3"},
        )
        app = create_app(config)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
            import_communes(DEMO_COMMUNES.read_text(encoding="utf-8"))
            now = clock.now()
            for kind in ("needs", "offers"):
                text = decode((directory / f"{kind}.csv").read_bytes())
                plan = plan_import(kind, text, COMMAND_LINE)
                if not plan.ok:
                    raise click.ClickException(
                        f"{kind}.csv: " + "; ".join(str(e) for e in plan.errors[:5])
                    )
                apply_import(plan, now)
            db.session.commit()
            yield LabelledSet(
                directory.name,
                [need_data(n) for n in open_needs()],
                [offer_data(o) for o in db.session.scalars(db.select(Offer).order_by(Offer.ref))],
                read_gold(directory / "gold.csv"),
            )
            db.session.remove()
            db.engine.dispose()


def evaluate_directory(directory: Path, top: int = 5, min_score: float = DEFAULT_MIN_SCORE) -> dict:
    """Import DIR's needs and offers into a throw-away database and score the matcher."""
    with labelled_set(directory) as labelled:
        results = match_all(labelled.needs, labelled.offers, top=top, min_score=min_score)
        return evaluate(results, labelled.gold, labelled.needs, labelled.offers).as_dict()


@click.command("evaluate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--top", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option(
    "--min-score", default=DEFAULT_MIN_SCORE, show_default=True, type=click.FloatRange(0, 100)
)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
def evaluate_command(directory: Path, top: int, min_score: float, fmt: str) -> None:
    """Score the matcher on DIR (needs.csv, offers.csv, gold.csv) in a throw-away database."""
    _check(directory)
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
        "abstention_auc": "abstention AUC (best score)",
    }
    for key, label in labels.items():
        click.echo(f"{label:<38} {figures[key]}")
    for pair, values in figures["by_language"].items():
        click.echo(
            f"{'need-offer languages ' + pair:<38} recall@5 {values['recall_at_5']}, "
            f"MRR {values['mrr']} ({values['needs']} needs)"
        )


@click.command("fit")
@click.argument(
    "directories",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--write", is_flag=True, help=f"Write the fitted model to {relevance.MODEL_PATH.name}."
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
def fit_command(directories: tuple[Path, ...], write: bool, folds: int) -> None:
    """Fit the relevance model on labelled sets; print cross-validated figures per line."""
    for directory in directories:
        _check(directory)
    sets = []
    for directory in directories:
        with labelled_set(directory) as labelled:
            sets.append(labelled)
    thresholds = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]
    figures = cross_validate(sets, thresholds, folds=folds)
    click.echo(f"{'set':<16} {'line':>5} {'R@5':>6} {'MRR':>6} {'P@1':>6} {'no-match':>9}")
    for name, by_line in figures.items():
        for line, f in by_line.items():
            click.echo(
                f"{name:<16} {line:>5.2f} {f.recall_at_5:>6.3f} {f.mrr:>6.3f} "
                f"{f.precision_at_1:>6.3f} {f.no_match_proposed_share:>9.3f}"
            )
    all_pairs = [pairs_of(s) for s in sets]
    model = fit_logistic(
        np.vstack([p.features for p in all_pairs]), np.concatenate([p.labels for p in all_pairs])
    )
    model["fitted_on"] = [s.name for s in sets]
    model["pairs"] = int(sum(len(p.labels) for p in all_pairs))
    click.echo(json.dumps(model))
    if write:
        relevance.MODEL_PATH.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        click.echo(f"written: {relevance.MODEL_PATH}")

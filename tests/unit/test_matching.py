"""The pure matcher: text, vocabulary, constraints, scoring, explanations."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.matching import encoder
from marketplace.matching.evaluation import evaluate, read_gold
from marketplace.matching.scoring import (
    NeedData,
    OfferData,
    distance_km,
    feasible,
    match_all,
)
from marketplace.matching.text import fold, normalise, tokens
from marketplace.matching.vocabulary import Vocabulary, default_vocabulary
from marketplace.textnorm import fold as fold_key

DEV = Path(__file__).resolve().parents[1] / "data" / "matching"
COMMUNES = Path(__file__).resolve().parents[2] / "marketplace/geo/data/communes-demo.csv"
D = date(2026, 3, 1)


def concepts(text: str) -> set[str]:
    return {c for c, _ in default_vocabulary().find(text)}


def test_normalisation_folds_case_accents_punctuation_and_stop_words():
    assert fold("Évaluation des RISQUES : ÉTÉ !") == "evaluation des risques ete"
    assert tokens("Les contrats de travail et les CDD") == ["contrat", "travail", "cdd"]
    assert normalise("Plan d'actions") == "plan action"
    assert fold("cœur") == "coeur"


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Mise à jour du DUERP", "duerp"),
        ("GMAO pour l'atelier", "cmms"),
        ("monétisation du CPF", "cpf"),
        ("démarche QSE", "qse"),
        ("choisir un ERP", "erp"),
        ("conformité RGPD", "gdpr"),
        ("questions RH", "hr_management"),
        ("plan de maintenace préventive", "preventive_maintenance"),  # typo
        ("entretiens professionels", "training_reform"),  # typo
        ("CONTRATS DE TRAVAIL", "employment_contract"),
        ("employment contracts", "employment_contract"),
        ("mise en service d'une ligne", "commissioning"),
        ("commissioning of a line", "commissioning"),
    ],
)
def test_vocabulary_finds_abbreviations_typos_and_both_languages(text, concept):
    assert concept in concepts(text)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("contrat de travail", "contrats clients et fournisseurs"),
        ("formation professionnelle", "formation des vendeurs"),
        ("audit énergétique", "analyse financière des comptes"),
        ("presse hydraulique", "communiqué de presse"),
        ("boîtes de transmission", "transmission d'entreprise et cession"),
    ],
)
def test_false_friends_do_not_share_a_concept(one, other):
    assert concepts(one) and concepts(other)
    assert not concepts(one) & concepts(other)


def test_short_words_are_not_corrected_into_other_words():
    vocabulary = default_vocabulary()
    assert vocabulary.close("session") == {"session"}  # not 'cession'
    assert "maintenance" in vocabulary.close("maintenace")


def test_vocabulary_refuses_inconsistent_data():
    with pytest.raises(ValueError, match="unknown broader"):
        Vocabulary.from_dict({"concepts": [{"id": "a", "terms": ["x"], "broader": "zz"}]})
    with pytest.raises(ValueError, match="twice"):
        Vocabulary.from_dict(
            {"concepts": [{"id": "a", "terms": ["x"]}, {"id": "a", "terms": ["y"]}]}
        )


def need(**kw) -> NeedData:
    base = dict(
        ref="N-1",
        title="Revoir nos contrats de travail",
        skills="CDD;avenant",
        lat=48.68655,
        lon=5.89508,
        remote_ok=False,
        earliest=D,
        latest=D + timedelta(days=60),
    )
    base.update(kw)
    return NeedData(**base)


def offer(**kw) -> OfferData:
    base = dict(
        ref="O-1",
        title="Droit du travail : contrats, avenants, CDD",
        skills="droit du travail;CDD",
        lat=48.6902,
        lon=6.17588,
        max_km=40,
        remote_ok=False,
        available_from=D - timedelta(days=30),
        available_until=D + timedelta(days=200),
        days_remaining=3,
    )
    base.update(kw)
    return OfferData(**base)


def test_constraints_window_distance_remote_capacity_and_unknown_distance():
    assert feasible(need(), offer())[0]
    assert round(distance_km(need(), offer())) == 21
    assert feasible(need(), offer(max_km=10))[2] == "distance"
    assert feasible(need(remote_ok=True), offer(max_km=10, remote_ok=True))[0]
    assert not feasible(need(remote_ok=True), offer(max_km=10))[0]
    late = offer(available_from=D + timedelta(days=61))
    assert feasible(need(), late)[2] == "window"
    assert feasible(need(), offer(days_remaining=0))[2] == "capacity"
    assert feasible(need(lat=None, lon=None), offer())[2] == "distance_unknown"
    assert feasible(need(lat=None, lon=None, remote_ok=True), offer(remote_ok=True))[0]


def test_a_french_offer_answers_an_english_need_with_an_explanation():
    english = need(title="Check our employment contracts", skills="fixed-term contracts")
    result = match_all([english], [offer()], lang="fr")["N-1"]
    assert [m.offer_ref for m in result] == ["O-1"]
    text = result[0].reasons["text"]
    assert text.startswith("Compétences communes : ")
    assert "21 km" in text and "disponible du 01/03 au 30/04" in text
    english_text = match_all([english], [offer()], lang="en")["N-1"][0].reasons["text"]
    assert english_text.startswith("Shared skills: ") and "available from" in english_text


def test_nothing_irrelevant_is_proposed():
    unrelated = need(title="Bornage d'un terrain avant achat", skills="bornage;géomètre")
    assert match_all([unrelated], [offer()])["N-1"] == []


def test_an_infeasible_perfect_offer_gives_way_to_a_feasible_weaker_one():
    perfect = offer(ref="O-far", max_km=5)
    weaker = offer(ref="O-near", title="Droit social : CDD et temps partiel", skills="CDD")
    result = match_all([need()], [perfect, weaker])["N-1"]
    assert [m.offer_ref for m in result] == ["O-near"]


place = st.tuples(st.floats(47.5, 50.0), st.floats(4.5, 7.5))
day = st.integers(0, 400).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
titles = st.sampled_from(
    [
        "Contrats de travail et CDD",
        "Plan de maintenance préventive et GMAO",
        "Audit énergétique",
        "Export Allemagne",
        "ISO 9001 audit interne",
        "Trésorerie",
        "Recruter des apprentis",
        "Mise en service d'une presse",
        "Communiqué de presse",
    ]
)


@st.composite
def needs_and_offers(draw):
    made_needs, made_offers = [], []
    for i in range(draw(st.integers(1, 4))):
        start = draw(day)
        lat, lon = draw(place)
        made_needs.append(
            NeedData(
                ref=f"N-{i}",
                title=draw(titles),
                skills="",
                lat=lat,
                lon=lon,
                remote_ok=draw(st.booleans()),
                earliest=start,
                latest=start + timedelta(days=draw(st.integers(0, 120))),
            )
        )
    for i in range(draw(st.integers(1, 5))):
        start = draw(day)
        lat, lon = draw(place)
        made_offers.append(
            OfferData(
                ref=f"O-{i}",
                title=draw(titles),
                skills="",
                lat=lat,
                lon=lon,
                max_km=draw(st.integers(0, 150)),
                remote_ok=draw(st.booleans()),
                available_from=start,
                available_until=start + timedelta(days=draw(st.integers(0, 200))),
                days_remaining=draw(st.sampled_from([0, 0.5, 3])),
            )
        )
    return made_needs, made_offers


@settings(max_examples=150, deadline=None)
@given(needs_and_offers())
def test_no_proposal_ever_breaks_a_hard_constraint(data):
    made_needs, made_offers = data
    by_ref = {o.ref: o for o in made_offers}
    for need_item in made_needs:
        for match in match_all(made_needs, made_offers)[need_item.ref]:
            chosen = by_ref[match.offer_ref]
            assert chosen.available_from <= need_item.latest
            assert chosen.available_until >= need_item.earliest
            assert chosen.days_remaining > 0
            if not (need_item.remote_ok and chosen.remote_ok):
                assert distance_km(need_item, chosen) <= chosen.max_km
            assert 0 <= match.score <= 100


@settings(max_examples=50, deadline=None)
@given(needs_and_offers())
def test_scores_are_deterministic(data):
    made_needs, made_offers = data
    first = match_all(made_needs, made_offers)
    again = match_all(list(made_needs), list(reversed(made_offers)))
    assert {k: [(m.offer_ref, m.score) for m in v] for k, v in first.items()} == {
        k: [(m.offer_ref, m.score) for m in v] for k, v in again.items()
    }


def _read_dev():
    places = {}
    with open(COMMUNES, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for code in row["ZIP_CODES"].split(","):
                places[(code, fold_key(row["NAME"]))] = (
                    float(row["LATITUDE"]),
                    float(row["LONGITUDE"]),
                )

    def coords(row):
        if row["lat"]:
            return float(row["lat"]), float(row["lon"])
        return places.get((row["postcode"], fold_key(row["commune"])), (None, None))

    with open(DEV / "needs.csv", encoding="utf-8") as handle:
        made_needs = [
            NeedData(
                r["ref"],
                r["title"],
                r["description"],
                r["skills"],
                r["category"] or None,
                float(r["days"]),
                *coords(r),
                r["remote_ok"] == "yes",
                date.fromisoformat(r["earliest"]),
                date.fromisoformat(r["latest"]),
            )
            for r in csv.DictReader(handle)
        ]
    with open(DEV / "offers.csv", encoding="utf-8") as handle:
        made_offers = [
            OfferData(
                r["ref"],
                r["title"],
                r["description"],
                r["skills"],
                r["category"] or None,
                float(r["days"]),
                *coords(r),
                float(r["max_km"]),
                r["remote_ok"] == "yes",
                date.fromisoformat(r["available_from"]),
                date.fromisoformat(r["available_until"]),
            )
            for r in csv.DictReader(handle)
        ]
    return made_needs, made_offers


def test_labelled_set_reaches_the_targets():
    made_needs, made_offers = _read_dev()
    figures = evaluate(
        match_all(made_needs, made_offers, top=5),
        read_gold(DEV / "gold.csv"),
        made_needs,
        made_offers,
    )
    assert figures.recall_at_5 >= 0.95
    assert figures.mrr >= 0.85
    assert figures.precision_at_1 >= 0.80
    assert figures.relevant_share >= 0.60
    assert figures.violations == 0
    assert figures.no_match_proposed_share <= 0.10


def test_the_scoring_code_imports_neither_flask_nor_sqlalchemy():
    import subprocess
    import sys

    code = (
        "import sys, marketplace.matching.scoring, marketplace.matching.evaluation,"
        " marketplace.matching.encoder, marketplace.matching.relevance,"
        " marketplace.matching.explain, marketplace.matching.fitting,"
        " marketplace.matching.listings, marketplace.matching.offer_index;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy',"
        " 'flask_sqlalchemy')]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_language_of_a_text_and_the_abstention_auc():
    from marketplace.matching.evaluation import abstention_auc, language

    assert language("Nous cherchons de l'aide pour la mise en service") == "fr"
    assert language("We need help with the start-up of our new line") == "en"
    assert language("GMAO") == "fr"  # no function word: French, the interface's language
    perfect = abstention_auc({"a": 90, "b": 80, "c": 0, "d": 10}, {"a": 1, "b": 1, "c": 0, "d": 0})
    assert perfect == 1.0
    assert abstention_auc({"a": 0, "b": 90}, {"a": True, "b": False}) == 0.0
    assert abstention_auc({"a": 50, "b": 50}, {"a": True, "b": False}) == 0.5
    assert abstention_auc({"a": 1}, {"a": True}) is None


@pytest.mark.parametrize(
    "title, description",
    [
        ("Revoir nos contrats de travail", ""),
        ("Revoir nos contrats de travail", "Relecture des CDD. " * 600),  # 10,800 characters
        ("Contrats de travail 📄✍️ urgent !!!", "🙏🙏🙏"),
        ("Проверка трудовых договоров", "Нам нужна помощь юриста по трудовому праву."),
        ("CDD", ""),
        ("", ""),
    ],
)
def test_odd_texts_are_ranked_without_error(title, description):
    """Empty, very long, emoji, another script, a title alone: never an error, never a
    broken constraint; what the encoder reads is bounded."""
    odd = need(title=title, description=description, skills="")
    far = offer(ref="O-far", max_km=5)
    result = match_all([odd], [offer(), far])["N-1"]
    assert all(m.offer_ref == "O-1" for m in result)
    assert all(0 <= m.score <= 100 for m in result)
    assert len(encoder.listing_text(title, "", description)) <= encoder.MAX_CHARS


def test_a_semantic_match_says_which_subject_is_close():
    """No shared word, no shared concept: the explanation names the offer's closest phrase."""
    english = need(
        title="Our night shift team is exhausted",
        skills="",
        description="Operators on nights complain of fatigue; we want better rotas.",
    )
    night = offer(
        title="Organiser le travail de nuit et les équipes successives",
        skills="travail de nuit;rotation des équipes",
        description="Accords, suivi de santé, plannings des équipes de nuit.",
    )
    result = match_all([english], [night], lang="fr")["N-1"]
    assert [m.offer_ref for m in result] == ["O-1"]
    assert "Sujet proche : « " in result[0].reasons["text"]
    english_text = match_all([english], [night], lang="en")["N-1"][0].reasons["text"]
    assert "Close subject: “" in english_text


def test_shared_terms_are_shown_as_the_need_wrote_them():
    roofs = need(
        title="Étanchéité de nos toitures-terrasses",
        skills="",
        description="Les toitures-terrasses de l'atelier fuient après chaque orage.",
    )
    roofer = offer(
        title="Toitures-terrasses : étanchéité, relevés et évacuation des eaux pluviales",
        skills="étanchéité;toitures",
    )
    result = match_all([roofs], [roofer], min_score=0)["N-1"]
    text = result[0].reasons["text"]
    assert text.startswith("Termes communs : ") and "Étanchéité" in text, text

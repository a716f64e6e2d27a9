"""A proposal's reasons in plain words, in French or English (pure)."""

from __future__ import annotations

from datetime import date

from rapidfuzz import fuzz

from marketplace.matching.text import normalise
from marketplace.matching.vocabulary import Vocabulary

WORDS = {
    "fr": {
        "shared": "Compétences communes",
        "terms": "Termes communs",
        "closest": "Sujet proche",
        "remote": "à distance possible",
        "km": "km",
        "from": "disponible du",
        "to": "au",
        "unknown": "distance inconnue",
        "colon": " : ",
        "quote": ("« ", " »"),
    },
    "en": {
        "shared": "Shared skills",
        "terms": "Shared terms",
        "closest": "Close subject",
        "remote": "remote work possible",
        "km": "km",
        "from": "available from",
        "to": "to",
        "unknown": "distance unknown",
        "colon": ": ",
        "quote": ("“", "”"),
    },
}
RELEVANCE = {
    "fr": {"high": "très pertinent", "medium": "pertinent", "below": "non proposé"},
    "en": {"high": "very relevant", "medium": "relevant", "below": "not proposed"},
}


def what_is_said(title: str, skills: str) -> str:
    """A listing's title and skills, normalised: what closest_phrase compares."""
    return normalise(f"{title} {(skills or '').replace(';', ' ')}")


def phrases_of(title: str, skills: str) -> list[tuple[str, str]]:
    """An offer's phrases (its title, each skill) with their normalised form."""
    found = [title, *(s.strip() for s in (skills or "").split(";") if s.strip())]
    return [(phrase, normalise(phrase)) for phrase in found]


def closest_phrase(said: str, phrases: list[tuple[str, str]]) -> str:
    """The phrase nearest to what the need says (`said`, from what_is_said)."""
    best = max(phrases, key=lambda p: (fuzz.token_set_ratio(said, p[1]), -len(p[0])))
    return best[0][:120]


def relevance_label(reasons: dict, lang: str = "fr") -> str:
    labels = RELEVANCE.get(lang, RELEVANCE["fr"])
    if not reasons.get("proposed", True):
        return labels["below"]
    return labels[reasons.get("relevance", "medium")]


def explain(reasons: dict, vocabulary: Vocabulary, lang: str = "fr") -> str:
    """« Compétences communes : contrats de travail, CDD · 23 km · disponible du 12/01 au 28/02 »

    Shared vocabulary concepts first; else the words both texts write; else (a match the
    encoder saw across languages or in other words) the offer's closest phrase.
    """
    words = WORDS.get(lang, WORDS["fr"])
    labels = [
        vocabulary.concepts[c].labels.get(lang, c)
        for c in reasons.get("shared", [])[:4]
        if c in vocabulary.concepts
    ]
    parts = []
    if labels:
        parts.append(f"{words['shared']}{words['colon']}{', '.join(labels)}")
    elif reasons.get("terms"):
        parts.append(f"{words['terms']}{words['colon']}{', '.join(reasons['terms'])}")
    if not labels and reasons.get("closest"):
        left, right = words["quote"]
        parts.append(f"{words['closest']}{words['colon']}{left}{reasons['closest']}{right}")
    if reasons.get("remote"):
        parts.append(words["remote"])
    elif reasons.get("distance_km") is not None:
        parts.append(f"{reasons['distance_km']:.0f} {words['km']}")
    else:
        parts.append(words["unknown"])
    start, end = (date.fromisoformat(d) for d in reasons["window"])
    fmt = "%d/%m" if lang == "fr" else "%b %d"
    parts.append(f"{words['from']} {start.strftime(fmt)} {words['to']} {end.strftime(fmt)}")
    return " · ".join(parts)

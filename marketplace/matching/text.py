"""Normalising what people write: case, accents, punctuation, stop words, plurals (pure)."""

from __future__ import annotations

import re

from marketplace.textnorm import fold

_WORDS = re.compile(r"\w+")

__all__ = ["STOP_WORDS", "fold", "language", "normalise", "stem", "surface_forms", "tokens"]

# French and English words that carry no expertise. Kept short on purpose:
# 'plan', 'audit', 'formation' are not stop words, they are ambiguous, and the
# vocabulary only uses them inside longer terms.
STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette chez comme d dans de des du elle en est et etre il ils
    j je l la le les leur leurs lui m ma mais me meme mes moi mon n ne nos notre nous on ou
    par pas plus pour qu que qui s sa se ses si son sont sur t ta te tes toi ton tu un une
    vos votre vous y ici tres aussi avons avez ont sommes sera fait faire faut peut tout tous
    toute toutes entre sans sous vers deja bien
    an and are as at be been but by can could do does for from had has have how i if in into
    is its me my no not of on or our ours so than that the their them then there these
    they this those to too us was we were what when where which while who will with would
    you your yours am any all also about after before just only over such very
    """.split()
)


def stem(token: str) -> str:
    """A light plural strip shared by both languages: 'contrats' -> 'contrat'."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    if len(token) > 4 and token.endswith("x") and token.endswith(("aux", "eux")):
        return token[:-1]
    return token


def tokens(text: str | None) -> list[str]:
    """Folded, stemmed tokens without stop words, in reading order."""
    return [stem(t) for t in fold(text).split() if t not in STOP_WORDS]


def surface_forms(text: str | None) -> dict[str, str]:
    """Token -> the word as first written in the text (« salariés » for 'salarie')."""
    found: dict[str, str] = {}
    for word in _WORDS.findall(text or ""):
        for token in tokens(word):
            found.setdefault(token, word)
    return found


def normalise(text: str | None) -> str:
    """The tokens joined by spaces: what fuzzy comparisons work on."""
    return " ".join(tokens(text))


# Words that only one of the two languages writes often: enough to tell a need's language.
_FRENCH = frozenset(
    "le la les des du de et pour nous notre nos une un est sur avec dans au aux".split()
)
_ENGLISH = frozenset("the and for our we with to of is in on an are this that need help".split())


def language(text: str) -> str:
    """'fr' or 'en', from the function words the text uses (French when in doubt)."""
    words = fold(text).split()
    french = sum(w in _FRENCH for w in words)
    english = sum(w in _ENGLISH for w in words)
    return "en" if english > french else "fr"

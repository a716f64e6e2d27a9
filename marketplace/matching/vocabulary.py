"""The bilingual concept vocabulary and finding its terms in a text (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from marketplace.matching.text import tokens

DEFAULT_PATH = Path(__file__).parent / "data" / "vocabulary.json"


@dataclass(frozen=True)
class Concept:
    id: str
    category: str | None
    labels: dict[str, str]
    weight: float = 1.0
    broader: str | None = None


@dataclass
class Vocabulary:
    concepts: dict[str, Concept]
    # first token -> list of (term tokens, concept id), longest first
    terms_by_head: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    known_tokens: tuple[str, ...] = ()
    _typo_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        concepts: dict[str, Concept] = {}
        heads: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for item in data["concepts"]:
            concept = Concept(
                id=item["id"],
                category=item.get("category"),
                labels={"fr": item.get("fr", item["id"]), "en": item.get("en", item["id"])},
                weight=float(item.get("weight", 1.0)),
                broader=item.get("broader"),
            )
            if concept.id in concepts:
                raise ValueError(f"concept {concept.id} is defined twice")
            concepts[concept.id] = concept
            for term in item["terms"]:
                words = tuple(tokens(term))
                if words:
                    heads.setdefault(words[0], []).append((words, concept.id))
        for concept in concepts.values():
            if concept.broader and concept.broader not in concepts:
                raise ValueError(f"{concept.id}: unknown broader concept {concept.broader}")
        for entries in heads.values():
            entries.sort(key=lambda entry: (-len(entry[0]), entry[1], entry[0]))
        known = {word for entries in heads.values() for words, _ in entries for word in words}
        return cls(concepts=concepts, terms_by_head=heads, known_tokens=tuple(sorted(known)))

    def close(self, token: str) -> frozenset[str]:
        """The vocabulary words a typed word may stand for: itself and near spellings.

        Only long words are corrected (one typo from 8 letters, two from 12),
        and the first letter must agree: 'maintenace' is 'maintenance', but
        'session' never becomes 'cession'.
        """
        cached = self._typo_cache.get(token)
        if cached is not None:
            return cached
        found = {token}
        if len(token) >= 8 and not token.isdigit():
            allowed = 2 if len(token) >= 12 else 1
            candidates = [
                w
                for w in self.known_tokens
                if w[:1] == token[:1] and abs(len(w) - len(token)) <= allowed
            ]
            for word, _distance, _index in process.extract(
                token, candidates, scorer=OSA.distance, score_cutoff=allowed, limit=None
            ):
                found.add(word)
        result = frozenset(found)
        self._typo_cache[token] = result
        return result

    def find(self, text: str | None) -> list[tuple[str, str]]:
        """(concept id, the words that matched) for each term found, longest terms first."""
        return self.find_tokens(tokens(text))

    def find_tokens(self, typed: list[str]) -> list[tuple[str, str]]:
        """find() on a text already cut into tokens (text.tokens)."""
        words = [self.close(w) for w in typed]
        found: list[tuple[str, str]] = []
        index = 0
        heads = self.terms_by_head
        while index < len(words):
            near = words[index]
            if len(near) == 1:
                (head,) = near
                entries = heads.get(head, ())
            else:
                entries = sorted(
                    (entry for head in near for entry in heads.get(head, ())),
                    key=lambda entry: (-len(entry[0]), entry[1], entry[0]),
                )
            for term, concept_id in entries:
                size = len(term)
                if size == 1 or (
                    index + size <= len(words)
                    and all(
                        w in n
                        for w, n in zip(term[1:], words[index + 1 : index + size], strict=True)
                    )
                ):
                    found.append((concept_id, " ".join(term)))
                    index += size
                    break
            else:
                index += 1
        return found


def load_vocabulary(path: Path | str = DEFAULT_PATH) -> Vocabulary:
    with open(path, encoding="utf-8") as handle:
        return Vocabulary.from_dict(json.load(handle))


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return load_vocabulary(DEFAULT_PATH)

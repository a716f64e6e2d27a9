"""Skill tags already used, to suggest them when people type new ones."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.textnorm import fold


class SkillTag(db.Model):
    __tablename__ = "skill_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    label: Mapped[str] = mapped_column(String(80))


def remember_skills(labels: Iterable[str]) -> None:
    """Record the tags not seen before (one query for the whole batch)."""
    wanted = {}
    for label in labels:
        key = fold(label)[:80]
        if key and key not in wanted:
            wanted[key] = label[:80]
    if not wanted:
        return
    known = set(db.session.scalars(select(SkillTag.key).where(SkillTag.key.in_(list(wanted)))))
    for key, label in wanted.items():
        if key not in known:
            db.session.add(SkillTag(key=key, label=label))


def skill_suggestions(limit: int = 300) -> list[str]:
    return list(db.session.scalars(select(SkillTag.label).order_by(SkillTag.key).limit(limit)))

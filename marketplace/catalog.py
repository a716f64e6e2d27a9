"""Categories of expertise: codes (stable, used in files) and labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "hr": _l("Human resources"),
    "legal": _l("Legal"),
    "production": _l("Production and equipment"),
    "maintenance": _l("Maintenance"),
    "quality": _l("Quality, health, safety, environment"),
    "energy": _l("Energy"),
    "sales": _l("Sales and marketing"),
    "export": _l("Export and international"),
    "finance": _l("Finance and management"),
    "digital": _l("IT and digital"),
    "purchasing": _l("Purchasing and logistics"),
    "management": _l("Management, strategy, business takeover"),
}
CATEGORY_CODES = tuple(CATEGORIES)


def category_label(code: str | None) -> str:
    return str(CATEGORIES[code]) if code in CATEGORIES else "—"

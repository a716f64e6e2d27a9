"""Domain exceptions of missions (the quota's own are in `quota.services`)."""

from __future__ import annotations

from marketplace.errors import DomainError


class BadSession(DomainError):
    status_code = 400


class DoubleSubmit(DomainError):
    status_code = 409

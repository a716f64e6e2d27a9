"""Imports every model module so the metadata is complete (Alembic, tests)."""

from marketplace.accounts.models import Invitation, LoginAttempt, Organisation, User
from marketplace.conventions.models import (
    Convention,
    ConventionGroup,
    Territory,
    convention_coordinators,
)
from marketplace.geo.models import Commune
from marketplace.impact.models import FollowUp, FollowUpEvent, Project
from marketplace.imports.models import ImportBatch
from marketplace.jobs.models import JobLock, JobRun
from marketplace.ledger.models import LedgerEntry
from marketplace.listings.skills import SkillTag
from marketplace.mail.models import OutboxMail
from marketplace.matching.models import Proposal
from marketplace.missions.models import Mission, MissionEvent, MissionSession, SubmittedForm
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification, SentAlert
from marketplace.offers.models import Offer

__all__ = [
    "FollowUp",
    "FollowUpEvent",
    "Project",
    "JobLock",
    "LedgerEntry",
    "SentAlert",
    "Notification",
    "OutboxMail",
    "Mission",
    "MissionEvent",
    "MissionSession",
    "SubmittedForm",
    "Proposal",
    "ImportBatch",
    "Commune",
    "Need",
    "Offer",
    "SkillTag",
    "Convention",
    "ConventionGroup",
    "Invitation",
    "JobRun",
    "LoginAttempt",
    "Organisation",
    "Territory",
    "User",
    "convention_coordinators",
]

"""Roles and the organisation kinds they belong to."""

from enum import StrEnum


class Role(StrEnum):
    SME_MANAGER = "sme_manager"
    VOLUNTEER = "volunteer"
    GROUP_REFERENT = "group_referent"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class OrgKind(StrEnum):
    SME = "sme"
    GROUP = "group"
    OPERATOR = "operator"


# Which organisation kind each role must belong to (admins may have none).
ROLE_ORG_KIND = {
    Role.SME_MANAGER: OrgKind.SME,
    Role.VOLUNTEER: OrgKind.GROUP,
    Role.GROUP_REFERENT: OrgKind.GROUP,
    Role.COORDINATOR: OrgKind.OPERATOR,
}

STAFF_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# Every role: the routes any logged-in person may open (object checks come after).
ALL_ROLES = tuple(Role)


class CommandLineOperator:
    """Who a command acts as when it is given no `--as`: an administrator, and it says so."""

    role = Role.ADMIN
    id = None
    organisation_id = None
    name = "command line"


COMMAND_LINE = CommandLineOperator()

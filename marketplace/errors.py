"""Domain exceptions raised by services and turned into HTTP answers by views."""


class DomainError(Exception):
    """Base of the errors a service raises for the user to read."""

    status_code = 400

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field it is about, when there is one


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class InvalidTransition(DomainError):
    status_code = 409


class Throttled(DomainError):
    status_code = 429


class InvitationInvalid(DomainError):
    status_code = 410

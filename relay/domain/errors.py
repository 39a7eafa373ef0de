"""Domain errors. The HTTP edge turns each into a problem+json response with its status."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthorized(DomainError):
    status = 401
    title = "Not signed in"


class Forbidden(DomainError):
    status = 403
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    title = "Not found"

    def __init__(self, detail: str = "There is nothing here, or it is not yours to see.") -> None:
        super().__init__(detail)


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class TooLarge(DomainError):
    status = 413
    title = "Too large"


class Invalid(DomainError):
    status = 422
    title = "Validation failed"


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

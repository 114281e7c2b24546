"""The service's error tree. Domain, storage and media code raise these; ``api/errors.py`` alone
decides which HTTP answer each one becomes.

DamError
├── NotFound               the asset does not exist (or belongs to another workspace)
├── Unauthenticated        no credential, or one that is malformed, unknown, expired or revoked
│   └── PasswordRequired   a share link asks for its password first
├── Forbidden              the principal's role does not allow the action
├── Gone                   it was there and is no more: a used, revoked or expired invitation, a
│                          retired route
├── RateLimited            too many attempts (sign-in); retry after ``retry_after`` seconds
├── InvalidInput           a request value is unusable
│   └── UnsupportedMedia   content type outside the allow-list
├── Conflict               the asset is not in a state that allows this
│   └── InvalidTransition  a status change lost a race or is not allowed
├── PreconditionFailed     an edit's If-Match names a revision the asset no longer has
├── NotApplied             a change of an atomic bulk request not made: another of its changes failed
├── UploadRejected         the stored object breaks a rule (size, parts list)
├── MediaRejected          the bytes are not usable media of the declared kind (never retried)
└── Unavailable            a dependency did not answer (worth retrying)
    ├── DatabaseUnavailable PostgreSQL (refused, terminated, not accepting connections, pool timeout)
    ├── StorageUnavailable the object store
    ├── QueueUnavailable   Redis, when a job could neither be queued nor recorded for later
    ├── MailUnavailable    the SMTP server of DAM_SMTP_URL (an invitation was not sent)
    └── Busy               the queue of password checks is full
"""

from __future__ import annotations


class DamError(Exception):
    """Base of every error the service raises on purpose; ``code`` names it in error bodies."""

    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DamError):
    """The asset does not exist."""

    code = "not_found"


class Unauthenticated(DamError):
    """No usable credential: none given, or one that is malformed, unknown, expired or revoked."""

    code = "unauthenticated"


class PasswordRequired(Unauthenticated):
    """A share link that asks for its password, from a visitor who has not given it."""

    code = "password_required"


class Forbidden(DamError):
    """The principal is known but its role (or token) does not allow the action."""

    code = "forbidden"


class Gone(DamError):
    """What was asked for existed and is no more (a used, revoked or expired invitation, a retired route)."""

    code = "gone"


class RateLimited(DamError):
    """Too many attempts in a short time."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class InvalidInput(DamError):
    """A request value is unusable."""

    code = "invalid_input"


class UnsupportedMedia(InvalidInput):
    """The content type is not one the service accepts."""

    code = "unsupported_media"


class Conflict(DamError):
    """The asset's state does not allow the request."""

    code = "conflict"


class InvalidTransition(Conflict):
    """A status change is not allowed from the current status (or another request won)."""

    code = "invalid_transition"


class PreconditionFailed(DamError):
    """A conditional request's precondition (``If-Match``) does not hold: the asset changed since."""

    code = "precondition_failed"


class NotApplied(DamError):
    """One change of an atomic bulk request that was not made, because another of its changes failed."""

    code = "not_applied"


class UploadRejected(DamError):
    """The uploaded object breaks a rule (too large, wrong size, a parts list storage refused)."""

    code = "upload_rejected"


class MediaRejected(DamError):
    """The bytes are not usable media of the declared kind; retrying cannot help."""

    code = "media_rejected"


class Unavailable(DamError):
    """A service the request depends on did not answer; the same request may succeed later."""

    code = "unavailable"
    retry_after = 2  # seconds a client should wait before trying again


class DatabaseUnavailable(Unavailable):
    """PostgreSQL refused or dropped the connection, or no connection was free in time."""

    code = "database_unavailable"


class StorageUnavailable(Unavailable):
    """The object store could not be reached or answered with a server error."""

    code = "storage_unavailable"


class QueueUnavailable(Unavailable):
    """The job queue (Redis) could not take a job."""

    code = "queue_unavailable"


class MailUnavailable(Unavailable):
    """The mail server could not be reached or refused the message."""

    code = "mail_unavailable"


class Busy(Unavailable):
    """Too many password checks are waiting for the hashing thread already."""

    code = "busy"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)

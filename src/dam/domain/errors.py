"""The service's error tree. Domain and storage code raise these; the API maps them to HTTP once.

DamError
├── NotFound               the asset does not exist (or is deleted)         -> 404
├── InvalidInput           a request value is unusable                      -> 422
│   └── UnsupportedMedia   content type outside the allow-list              -> 422
├── Conflict               the asset is not in a state that allows this     -> 409
│   └── InvalidTransition  a status change lost a race or is not allowed    -> 409
├── UploadRejected         the stored object breaks a rule (size, absence)  -> 409 / 422
└── StorageUnavailable     the object store did not answer                  -> 503
"""

from __future__ import annotations


class DamError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 500
    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DamError):
    """The asset does not exist."""

    status_code = 404
    code = "not_found"


class InvalidInput(DamError):
    """A request value is unusable."""

    status_code = 422
    code = "invalid_input"


class UnsupportedMedia(InvalidInput):
    """The content type is not one the service accepts."""

    code = "unsupported_media"


class Conflict(DamError):
    """The asset's state does not allow the request."""

    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    """A status change is not allowed from the current status (or another request won)."""

    code = "invalid_transition"


class UploadRejected(DamError):
    """The uploaded object breaks a rule; the status code says whether retrying can help."""

    code = "upload_rejected"

    def __init__(self, detail: str, *, status_code: int = 422) -> None:
        super().__init__(detail)
        self.status_code = status_code


class StorageUnavailable(DamError):
    """The object store could not be reached or answered with a server error."""

    status_code = 503
    code = "storage_unavailable"

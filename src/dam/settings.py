"""Service configuration, read once from ``DAM_*`` environment variables and passed down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from dam.domain.addresses import networks
from dam.domain.errors import InvalidInput
from dam.domain.steps import QUEUES, enabled_steps

MiB = 1024 * 1024
GiB = 1024 * MiB

# S3 limits: parts are 5 MiB..5 GiB (the last may be smaller), a presigned URL lives at most 7 days.
PartSize = Annotated[int, Meta(ge=5 * MiB, le=5 * GiB)]
Ttl = Annotated[int, Meta(ge=60, le=7 * 24 * 3600)]
Port = Annotated[int, Meta(ge=1, le=65535)]
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
DEV_S3_SECRET = "minio123"  # noqa: S105 - compose's and the defaults' development store secret


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    """PostgreSQL connection."""

    url: str = "postgresql://postgres@127.0.0.1:5432/dam"
    pool_min: Annotated[int, Meta(ge=1)] = 2
    pool_max: Annotated[int, Meta(ge=1)] = 20
    # Seconds to wait for a free connection (or a new one) before answering 503.
    pool_timeout: Annotated[float, Meta(gt=0, le=300)] = 10.0


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Redis connection and the job queue living in it."""

    url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "dam:queue"


class S3Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Object storage: where the service talks to it and where clients do."""

    endpoint_url: str = "http://127.0.0.1:8333"
    public_url: str = ""
    bucket: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] = "dam"
    region: str = "us-east-1"
    access_key: str = "minio"
    secret_key: str = DEV_S3_SECRET
    presign_ttl: Ttl = 900
    # Downloads and renditions: shorter than uploads, since anyone holding the URL can read.
    presign_get_ttl: Ttl = 300
    cors_origins: tuple[str, ...] = ()

    @property
    def client_url(self) -> str:
        """The endpoint presigned URLs are signed for (what browsers reach)."""
        return (self.public_url or self.endpoint_url).rstrip("/")


class UploadSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What clients may upload, and how it is split."""

    max_upload_bytes: Annotated[int, Meta(ge=1)] = 5 * GiB
    multipart_threshold: Annotated[int, Meta(ge=5 * MiB)] = 64 * MiB
    part_size: PartSize = 16 * MiB
    allowed_content_types: tuple[str, ...] = ("image/*", "audio/*", "video/*")


class WorkerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Processing: job limits, media limits, the event bridge and the reconciler."""

    job_timeout: Annotated[int, Meta(ge=1)] = 600
    # Attempts of a step that were cut short by a dying worker or by the step's own time limit;
    # outages do not count (they are retried until retry_deadline).
    max_tries: Annotated[int, Meta(ge=1, le=50)] = 5
    # A step that keeps meeting an unavailable dependency retries for this long, then waits for the
    # reconciler, which resumes it with a deadline of its own: transient is never permanent.
    retry_deadline: Annotated[float, Meta(ge=1, le=7 * 24 * 3600)] = 1800.0
    retry_max_delay: Annotated[float, Meta(ge=0.1, le=3600)] = 60.0
    max_image_pixels: Annotated[int, Meta(ge=1)] = 100_000_000
    events_key: str = "dam:s3-events"
    upload_grace: Annotated[int, Meta(ge=0)] = 3600
    concurrency: Annotated[int, Meta(ge=1, le=64)] = 2
    # arq looks for new jobs this often; arq's own 0.5 s would add ~250 ms to every upload's wait.
    poll_delay: Annotated[float, Meta(ge=0.005, le=5)] = 0.05
    # On SIGTERM a worker takes no new job and lets its running steps go on this long; then it gives
    # them back, no attempt counted, for another worker.
    shutdown_grace: Annotated[float, Meta(ge=0, le=3600)] = 30.0
    # Steps this deployment never plans (an asset is ready without them).
    steps_disabled: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            enabled_steps(self.steps_disabled)
        except InvalidInput as exc:
            raise ValueError(f"DAM_STEPS_DISABLED: {exc.detail}") from None


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the API listens."""

    host: str = "127.0.0.1"
    port: Port = 8000
    max_body_bytes: Annotated[int, Meta(ge=1024)] = 1 * MiB
    # The API's address as clients reach it (behind a proxy, its public https URL): every URL the API
    # hands out is built on it. Empty (development only): the address each request was sent to.
    public_url: str = ""
    # Host names requests may be addressed to (a leading dot allows subdomains, "*" any). Empty: the
    # host of DAM_PUBLIC_URL and the loopback names; without DAM_PUBLIC_URL the loopback names alone.
    allowed_hosts: tuple[str, ...] = ()
    # A development deployment: the development store secret and a stream key derived from it are
    # allowed, and DAM_PUBLIC_URL is optional. `make run` sets it; production never does.
    dev: bool = False
    # Peers (CIDRs) whose X-Forwarded-For / Forwarded hops are believed: the reverse proxies in front.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/32", "::1/128")

    def __post_init__(self) -> None:
        try:
            networks(self.trusted_proxies)
        except ValueError as exc:
            raise ValueError(f"DAM_TRUSTED_PROXIES: {exc} (CIDRs such as 10.0.0.0/8,::1/128)") from None

    @property
    def secure_cookies(self) -> bool:
        """Whether clients reach the API over HTTPS only (``DAM_PUBLIC_URL`` is https): cookies are
        then ``__Host-`` cookies, Secure (Path=/, no Domain)."""
        return self.public_url.lower().startswith("https://")

    @property
    def origin(self) -> str:
        """The API's own origin, the default CORS origin."""
        return f"http://{self.host}:{self.port}"

    def hosts(self) -> tuple[str, ...]:
        """The host names requests may name (``DAM_ALLOWED_HOSTS``, or its default)."""
        if self.allowed_hosts:
            return tuple(h.lower() for h in self.allowed_hosts)
        public = urlsplit(self.public_url).hostname if self.public_url else None
        return (*((public.lower(),) if public else ()), *LOOPBACK_HOSTS)


class AuthSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Sign-in, sessions, passwords and upload tokens."""

    # A browser session ends after this long without a request, and this long after sign-in at most.
    session_idle_timeout: Annotated[int, Meta(ge=60, le=30 * 24 * 3600)] = 8 * 3600
    session_max_age: Annotated[int, Meta(ge=60, le=365 * 24 * 3600)] = 7 * 24 * 3600
    # Failed sign-ins allowed per account and per client address within a minute; the next is 429.
    login_max_failures: Annotated[int, Meta(ge=1, le=1000)] = 5
    # Anonymous writes (share-link opens, single sign-on starts) allowed per client address a minute.
    anonymous_max_per_minute: Annotated[int, Meta(ge=1, le=100_000)] = 120
    password_min_length: Annotated[int, Meta(ge=8, le=128)] = 12
    upload_token_max_ttl: Annotated[int, Meta(ge=60, le=30 * 24 * 3600)] = 24 * 3600
    # Assets one upload token may create per minute from one client address; the next is 429.
    upload_token_rate: Annotated[int, Meta(ge=1, le=100_000)] = 120
    # The longest a share link may live; a workspace admin may set a shorter cap of their own.
    share_max_ttl: Annotated[int, Meta(ge=60, le=365 * 24 * 3600)] = 30 * 24 * 3600
    # How long an invitation's link can be accepted.
    invitation_ttl: Annotated[int, Meta(ge=60, le=90 * 24 * 3600)] = 7 * 24 * 3600
    # Where invitations are mailed (smtp://host:port, smtps://user:pass@host:465); empty: the link is
    # shown once to the admin who invites, who passes it on.
    smtp_url: Annotated[str, Meta(pattern=r"^(smtps?://.+)?$")] = ""
    # The sender of those mails; empty: dam@ the host of DAM_PUBLIC_URL (or localhost).
    smtp_from: str = ""


class StreamSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Adaptive streaming: the ladder, its chunks and workers, and the delivery tokens."""

    # Short sides of the rungs (never upscaled); a source below the lowest gets one rung of its own.
    ladder: tuple[int, ...] = (1080, 720, 360)
    # A ladder job encodes at most this much content (rounded up to whole 4 s segments).
    chunk_seconds: Annotated[int, Meta(ge=4, le=3600)] = 300
    transcode_timeout: Annotated[int, Meta(ge=10)] = 1800
    transcode_concurrency: Annotated[int, Meta(ge=1, le=16)] = 1
    # A stream token lives this long at most (no longer than its share link); each read issues a new one.
    token_ttl: Annotated[int, Meta(ge=60, le=7 * 24 * 3600)] = 7200
    # Each 302 of the delivery path presigns a GET that lives this long.
    redirect_ttl: Annotated[int, Meta(ge=10, le=3600)] = 300
    # The HMAC key of stream tokens, the same on every API process. Required outside development;
    # empty with DAM_DEV=true: derived from DAM_S3_SECRET_KEY.
    secret: str = ""
    # Whether the bucket's CORS lets any origin GET objects: players follow the delivery path's 302
    # with `Origin: null`, so stream segments need `Access-Control-Allow-Origin: *`.
    store_any_origin: bool = True

    def __post_init__(self) -> None:
        if not self.ladder or any(side < 64 or side > 4320 or side % 2 for side in self.ladder):
            raise ValueError("DAM_LADDER: rungs are even short sides between 64 and 4320, e.g. 1080,720,360")


class OidcSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Single sign-on with an OpenID Connect provider (off while ``issuer`` is empty)."""

    issuer: str = ""  # e.g. https://login.example.com/realms/media; discovery is read from it
    client_id: str = ""
    client_secret: str = ""
    # Email domains whose users may sign in (empty: any); users are linked by issuer + subject.
    allowed_domains: tuple[str, ...] = ()
    # Whether a first sign-in creates the user, with ``default_role`` in ``workspace``.
    create_users: bool = False
    workspace: str = "default"
    default_role: Literal["viewer", "contributor", "editor", "admin"] = "viewer"
    # A claim of the ID token (e.g. "groups") and "value=role" pairs that map it to a role.
    role_claim: str = ""
    role_map: tuple[str, ...] = ()
    name: str = "single sign-on"  # what the page's button says
    # Whether an ID token without ``email_verified`` counts as verified (for a provider that sends
    # only verified addresses and omits the claim); ``email_verified: false`` is refused regardless.
    trust_unverified_email: bool = False

    @property
    def enabled(self) -> bool:
        """Whether single sign-on is configured."""
        return bool(self.issuer and self.client_id)


class LogSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What every process logs, and how."""

    level: Annotated[str, Meta(pattern=r"(?i)^(debug|info|warning|error|critical)$")] = "info"
    # "text" (a line per record, for people) or "json" (one JSON object per line, for collectors).
    format: Literal["text", "json"] = "text"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """All settings, one struct per concern."""

    db: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    s3: S3Settings = msgspec.field(default_factory=S3Settings)
    upload: UploadSettings = msgspec.field(default_factory=UploadSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    worker: WorkerSettings = msgspec.field(default_factory=WorkerSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    oidc: OidcSettings = msgspec.field(default_factory=OidcSettings)
    stream: StreamSettings = msgspec.field(default_factory=StreamSettings)
    log: LogSettings = msgspec.field(default_factory=LogSettings)

    def value(self, env: str) -> Any:
        """The value of one setting, by its environment variable (``DAM_JOB_TIMEOUT``...)."""
        section, field = ENV_VARS[env]
        return getattr(getattr(self, section), field)

    def cors_origins(self) -> tuple[str, ...]:
        """Browser origins allowed to PUT/GET objects; the API's own origin when none are set."""
        if self.s3.cors_origins:
            return self.s3.cors_origins
        origins = [self.server.origin]
        if self.server.host in {"127.0.0.1", "0.0.0.0"}:
            origins.append(f"http://localhost:{self.server.port}")
        return tuple(origins)


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def concurrency(settings: Settings, queue: str) -> int:
    """How many jobs one worker of ``queue`` runs at once (the queue's setting in ``QUEUES``)."""
    return int(settings.value(QUEUES[queue].concurrency))


def time_limit(settings: Settings, queue: str) -> int:
    """How long one job of ``queue`` may run (the queue's setting in ``QUEUES``)."""
    return int(settings.value(QUEUES[queue].time_limit))


MIN_STREAM_SECRET = 32


def unsafe_for_production(settings: Settings, *, api: bool) -> list[str]:
    """Why these settings must not serve outside development (empty: they may); ``dam api`` and
    the workers refuse to start with any of these unless ``DAM_DEV=true``."""
    if settings.server.dev:
        return []
    problems = []
    if settings.s3.secret_key == DEV_S3_SECRET:
        problems.append("DAM_S3_SECRET_KEY is the development store's secret (minio123): set the store's own")
    if len(settings.stream.secret) < MIN_STREAM_SECRET:
        problems.append(
            f"DAM_STREAM_SECRET must be set to a random value of at least {MIN_STREAM_SECRET} characters"
            " (e.g. `openssl rand -base64 48`), the same on every API process"
        )
    if api and not settings.server.public_url:
        problems.append(
            "DAM_PUBLIC_URL must be set to the API's public address (e.g. https://dam.example.com)"
        )
    return problems


def check_production(settings: Settings, *, api: bool) -> None:
    """Raise ``SettingsError`` naming every problem ``unsafe_for_production`` finds."""
    problems = unsafe_for_production(settings, api=api)
    if problems:
        raise SettingsError(
            "refusing to start outside development (DAM_DEV=true only for development): "
            + "; ".join(problems)
        )


# Environment variable -> (section, field). The README documents each of these.
ENV_VARS: dict[str, tuple[str, str]] = {
    "DAM_DATABASE_URL": ("db", "url"),
    "DAM_DATABASE_POOL_MIN": ("db", "pool_min"),
    "DAM_DATABASE_POOL_MAX": ("db", "pool_max"),
    "DAM_DATABASE_POOL_TIMEOUT": ("db", "pool_timeout"),
    "DAM_REDIS_URL": ("redis", "url"),
    "DAM_QUEUE_NAME": ("redis", "queue_name"),
    "DAM_S3_ENDPOINT_URL": ("s3", "endpoint_url"),
    "DAM_S3_PUBLIC_URL": ("s3", "public_url"),
    "DAM_S3_BUCKET": ("s3", "bucket"),
    "DAM_S3_REGION": ("s3", "region"),
    "DAM_S3_ACCESS_KEY": ("s3", "access_key"),
    "DAM_S3_SECRET_KEY": ("s3", "secret_key"),
    "DAM_PRESIGN_TTL": ("s3", "presign_ttl"),
    "DAM_PRESIGN_GET_TTL": ("s3", "presign_get_ttl"),
    "DAM_CORS_ORIGINS": ("s3", "cors_origins"),
    "DAM_MAX_UPLOAD_BYTES": ("upload", "max_upload_bytes"),
    "DAM_MULTIPART_THRESHOLD": ("upload", "multipart_threshold"),
    "DAM_MULTIPART_PART_SIZE": ("upload", "part_size"),
    "DAM_ALLOWED_CONTENT_TYPES": ("upload", "allowed_content_types"),
    "DAM_HOST": ("server", "host"),
    "DAM_PORT": ("server", "port"),
    "DAM_MAX_BODY_BYTES": ("server", "max_body_bytes"),
    "DAM_PUBLIC_URL": ("server", "public_url"),
    "DAM_ALLOWED_HOSTS": ("server", "allowed_hosts"),
    "DAM_DEV": ("server", "dev"),
    "DAM_TRUSTED_PROXIES": ("server", "trusted_proxies"),
    "DAM_SESSION_IDLE_TIMEOUT": ("auth", "session_idle_timeout"),
    "DAM_SESSION_MAX_AGE": ("auth", "session_max_age"),
    "DAM_LOGIN_MAX_FAILURES": ("auth", "login_max_failures"),
    "DAM_ANONYMOUS_MAX_PER_MINUTE": ("auth", "anonymous_max_per_minute"),
    "DAM_PASSWORD_MIN_LENGTH": ("auth", "password_min_length"),
    "DAM_UPLOAD_TOKEN_MAX_TTL": ("auth", "upload_token_max_ttl"),
    "DAM_UPLOAD_TOKEN_RATE": ("auth", "upload_token_rate"),
    "DAM_SHARE_MAX_TTL": ("auth", "share_max_ttl"),
    "DAM_INVITATION_TTL": ("auth", "invitation_ttl"),
    "DAM_SMTP_URL": ("auth", "smtp_url"),
    "DAM_SMTP_FROM": ("auth", "smtp_from"),
    "DAM_JOB_TIMEOUT": ("worker", "job_timeout"),
    "DAM_JOB_MAX_TRIES": ("worker", "max_tries"),
    "DAM_RETRY_DEADLINE": ("worker", "retry_deadline"),
    "DAM_RETRY_MAX_DELAY": ("worker", "retry_max_delay"),
    "DAM_MAX_IMAGE_PIXELS": ("worker", "max_image_pixels"),
    "DAM_EVENTS_KEY": ("worker", "events_key"),
    "DAM_UPLOAD_GRACE": ("worker", "upload_grace"),
    "DAM_WORKER_CONCURRENCY": ("worker", "concurrency"),
    "DAM_WORKER_POLL_DELAY": ("worker", "poll_delay"),
    "DAM_STEPS_DISABLED": ("worker", "steps_disabled"),
    "DAM_WORKER_SHUTDOWN_GRACE": ("worker", "shutdown_grace"),
    "DAM_LADDER": ("stream", "ladder"),
    "DAM_LADDER_CHUNK_SECONDS": ("stream", "chunk_seconds"),
    "DAM_TRANSCODE_TIMEOUT": ("stream", "transcode_timeout"),
    "DAM_TRANSCODE_CONCURRENCY": ("stream", "transcode_concurrency"),
    "DAM_STREAM_TOKEN_TTL": ("stream", "token_ttl"),
    "DAM_STREAM_REDIRECT_TTL": ("stream", "redirect_ttl"),
    "DAM_STREAM_SECRET": ("stream", "secret"),
    "DAM_STREAM_STORE_ANY_ORIGIN": ("stream", "store_any_origin"),
    "DAM_OIDC_ISSUER": ("oidc", "issuer"),
    "DAM_OIDC_CLIENT_ID": ("oidc", "client_id"),
    "DAM_OIDC_CLIENT_SECRET": ("oidc", "client_secret"),
    "DAM_OIDC_ALLOWED_DOMAINS": ("oidc", "allowed_domains"),
    "DAM_OIDC_CREATE_USERS": ("oidc", "create_users"),
    "DAM_OIDC_WORKSPACE": ("oidc", "workspace"),
    "DAM_OIDC_DEFAULT_ROLE": ("oidc", "default_role"),
    "DAM_OIDC_ROLE_CLAIM": ("oidc", "role_claim"),
    "DAM_OIDC_ROLE_MAP": ("oidc", "role_map"),
    "DAM_OIDC_NAME": ("oidc", "name"),
    "DAM_OIDC_TRUST_UNVERIFIED_EMAIL": ("oidc", "trust_unverified_email"),
    "DAM_LOG_LEVEL": ("log", "level"),
    "DAM_LOG_FORMAT": ("log", "format"),
}
_LIST_FIELDS = {
    "allowed_hosts", "cors_origins", "allowed_content_types", "allowed_domains", "role_map", "ladder",
    "trusted_proxies", "steps_disabled",
}  # fmt: skip
_SECTIONS: dict[str, type[msgspec.Struct]] = {
    "db": DatabaseSettings,
    "redis": RedisSettings,
    "s3": S3Settings,
    "upload": UploadSettings,
    "server": ServerSettings,
    "worker": WorkerSettings,
    "auth": AuthSettings,
    "oidc": OidcSettings,
    "stream": StreamSettings,
    "log": LogSettings,
}


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from an environment mapping; unset variables keep their defaults."""
    raw: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    for env, (section, field) in ENV_VARS.items():
        value = environ.get(env)
        if value is None or value == "":
            continue
        raw[section][field] = (
            tuple(part.strip() for part in value.split(",") if part.strip())
            if field in _LIST_FIELDS
            else value
        )
    sections: dict[str, Any] = {}
    for section, struct in _SECTIONS.items():
        try:
            sections[section] = msgspec.convert(raw[section], struct, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_explain(section, exc)) from exc
    return Settings(**sections)


def _explain(section: str, exc: msgspec.ValidationError) -> str:
    message = str(exc)
    for env, (sec, field) in ENV_VARS.items():
        if sec == section and f"$.{field}" in message:
            return f"{env}: {message.split(' - at ')[0]}"
    return message

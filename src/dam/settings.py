"""Service configuration, read once from ``DAM_*`` environment variables and passed down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from dam.domain.addresses import networks
from dam.domain.errors import InvalidInput
from dam.domain.steps import ENRICH_DEFAULT, QUEUES, enabled_steps, enrich_kinds
from dam.domain.webhooks import parse_schedule

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
    # Memory a sort or hash of one statement may use before spilling to disk; search's capped
    # windows (thousands of rows with their documents) fit in it. PostgreSQL's default is 4MB.
    work_mem: Annotated[str, Meta(pattern=r"^[0-9]{1,7}(kB|MB|GB)$")] = "32MB"


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
    # Members' reads sign with the time rounded down to this window (and live the window longer),
    # so the same thumbnail read twice within it has the same URL and browsers and CDNs cache it.
    presign_get_window: Annotated[int, Meta(ge=0, le=24 * 3600)] = 3600
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
    # The longest a worker waits between looks at its queue: a job queued, or one of its own ending,
    # makes it look at once (arq's own fixed 0.5 s sleep added ~250 ms to every upload's wait).
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


class SearchSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Search's caps: what keeps every search fast at a million assets (``docs/guides/search.md``)."""

    # Relevance ranks at most this many matches, the newest; below it the order is exact.
    rank_cap: Annotated[int, Meta(ge=1, le=100_000)] = 1000
    # Facets count at most this many matches, the newest (``facets_partial`` says when they did).
    facet_cap: Annotated[int, Meta(ge=1, le=1_000_000)] = 10_000
    # ``total`` counts at most this many matches (``relation: "gte"`` beyond).
    count_cap: Annotated[int, Meta(ge=1, le=1_000_000)] = 1000


class EnrichSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Enrichment: which models run on the ``enrich`` queue, how many jobs at once, what is kept."""

    # The kinds that run (``none``: none); read through ``enabled``.
    kinds: tuple[str, ...] = ENRICH_DEFAULT
    # Model tags below this confidence are not kept as searchable.
    min_confidence: Annotated[float, Meta(ge=0, le=1)] = 0.5
    concurrency: Annotated[int, Meta(ge=1, le=16)] = 1
    timeout: Annotated[int, Meta(ge=10)] = 600
    # Where the speech model is assembled from its two wheels ("": beside the virtualenv's packages).
    model_cache: str = ""
    # ``dam worker --queue enrich`` stops its worker while the media queue has work (dam.governor).
    yield_to_media: bool = True

    def __post_init__(self) -> None:
        try:
            enrich_kinds(self.kinds)
        except InvalidInput as exc:
            raise ValueError(f"DAM_ENRICH: {exc.detail}") from None

    @property
    def enabled(self) -> tuple[str, ...]:
        """The kinds that run, ``none`` read as none."""
        return enrich_kinds(self.kinds)


class LifecycleSettings(msgspec.Struct, frozen=True, kw_only=True):
    """An asset's life after ingest: the trash."""

    # Days a deleted asset stays in the trash before it is purged (fractions allowed; 0: at once).
    trash_days: Annotated[float, Meta(ge=0, le=3650)] = 30.0


class WebhookSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Webhook delivery: where endpoints may point and how failures are retried."""

    allow_http: bool = False  # plain http:// endpoints (development and tests only)
    allow_private: bool = False  # endpoints on loopback, private or link-local addresses (same)
    # Seconds before each retry, the last repeated (5 s, 30 s, 2 min, 10 min, 30 min, 2 h, every 6 h).
    retry_schedule: str = "5,30,120,600,1800,7200,21600"

    def __post_init__(self) -> None:
        parse_schedule(self.retry_schedule)

    @property
    def schedule(self) -> tuple[float, ...]:
        """The waits, parsed."""
        return parse_schedule(self.retry_schedule)


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
    search: SearchSettings = msgspec.field(default_factory=SearchSettings)
    enrich: EnrichSettings = msgspec.field(default_factory=EnrichSettings)
    lifecycle: LifecycleSettings = msgspec.field(default_factory=LifecycleSettings)
    webhooks: WebhookSettings = msgspec.field(default_factory=WebhookSettings)

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


# Environment variable -> (section, field); DESCRIPTIONS (at the end) says what each means.
ENV_VARS: dict[str, tuple[str, str]] = {
    "DAM_DATABASE_URL": ("db", "url"),
    "DAM_DATABASE_POOL_MIN": ("db", "pool_min"),
    "DAM_DATABASE_POOL_MAX": ("db", "pool_max"),
    "DAM_DATABASE_POOL_TIMEOUT": ("db", "pool_timeout"),
    "DAM_DATABASE_WORK_MEM": ("db", "work_mem"),
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
    "DAM_PRESIGN_GET_WINDOW": ("s3", "presign_get_window"),
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
    "DAM_SEARCH_RANK_CAP": ("search", "rank_cap"),
    "DAM_SEARCH_FACET_CAP": ("search", "facet_cap"),
    "DAM_SEARCH_COUNT_CAP": ("search", "count_cap"),
    "DAM_ENRICH": ("enrich", "kinds"),
    "DAM_ENRICH_MIN_CONFIDENCE": ("enrich", "min_confidence"),
    "DAM_ENRICH_CONCURRENCY": ("enrich", "concurrency"),
    "DAM_ENRICH_TIMEOUT": ("enrich", "timeout"),
    "DAM_ENRICH_MODEL_CACHE": ("enrich", "model_cache"),
    "DAM_ENRICH_YIELD": ("enrich", "yield_to_media"),
    "DAM_TRASH_DAYS": ("lifecycle", "trash_days"),
    "DAM_WEBHOOK_ALLOW_HTTP": ("webhooks", "allow_http"),
    "DAM_WEBHOOK_ALLOW_PRIVATE": ("webhooks", "allow_private"),
    "DAM_WEBHOOK_RETRY_SCHEDULE": ("webhooks", "retry_schedule"),
    "DAM_LOG_LEVEL": ("log", "level"),
    "DAM_LOG_FORMAT": ("log", "format"),
}
_LIST_FIELDS = {
    "allowed_hosts", "cors_origins", "allowed_content_types", "allowed_domains", "role_map", "ladder",
    "trusted_proxies", "steps_disabled", "kinds",
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
    "search": SearchSettings,
    "lifecycle": LifecycleSettings,
    "webhooks": WebhookSettings,
    "enrich": EnrichSettings,
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


# What each setting means, for the generated configuration reference (docs/gen/reference.py reads
# this beside ENV_VARS and the structs' defaults). Every variable of ENV_VARS has an entry here (a
# unit test checks it): a new setting is a field, its ENV_VARS entry and its description.
DESCRIPTIONS: dict[str, str] = {
    "DAM_DATABASE_URL": "PostgreSQL; `dam migrate` creates the database if missing",
    "DAM_DATABASE_POOL_MIN": "smallest asyncpg pool size",
    "DAM_DATABASE_POOL_MAX": "largest asyncpg pool size",
    "DAM_DATABASE_WORK_MEM": (
        "PostgreSQL's work_mem for the service's connections (e.g. 32MB): what a search's sort may"
        " hold in memory"
    ),
    "DAM_DATABASE_POOL_TIMEOUT": (
        "seconds a request waits for a database connection (a free one, or a new one being opened)"
        " before it is answered 503"
    ),
    "DAM_REDIS_URL": "Redis, for the job queues, sign-in rate limits and single sign-on's `state`",
    "DAM_QUEUE_NAME": ("Redis key of the `media` queue; the other queues live beside it as `<name>:<queue>`"),
    "DAM_S3_ENDPOINT_URL": "where the service talks to S3; when unset, `make run` starts SeaweedFS there",
    "DAM_S3_PUBLIC_URL": (
        "the S3 address clients use, presigned URLs are signed for it (empty: the endpoint URL); e.g."
        " the service reaches `http://minio:9000`, browsers `http://localhost:9000`"
    ),
    "DAM_S3_BUCKET": (
        "the bucket, created by `dam setup-store` if missing (the API only checks at start-up that it"
        " answers, and refuses to start when it does not exist)"
    ),
    "DAM_S3_REGION": "the signing region",
    "DAM_S3_ACCESS_KEY": "S3 access key (the default is the development store's)",
    "DAM_S3_SECRET_KEY": (
        "S3 secret key; the development default `minio123` is refused outside development (`DAM_DEV`)"
    ),
    "DAM_PRESIGN_TTL": "lifetime of presigned upload URLs (PUT, parts, POST forms), seconds (60 .. 604800)",
    "DAM_PRESIGN_GET_TTL": (
        "lifetime of presigned download and rendition URLs, seconds (60 .. 604800); shorter, as they"
        " are handed to whoever may read"
    ),
    "DAM_PRESIGN_GET_WINDOW": (
        "seconds (0 .. 86400): a member's download and rendition URLs are signed with the time rounded"
        " down to this window and live `DAM_PRESIGN_GET_TTL` past its end, so the same thumbnail read"
        " twice within the window has the same URL and the browser's cache (or a CDN's) answers it;"
        " 0 signs every read afresh. Share links' URLs are never windowed (they end with the link)"
    ),
    "DAM_CORS_ORIGINS": (
        "comma-separated browser origins allowed to call the API (CORS on every route: preflights,"
        " methods GET/HEAD/POST/DELETE, headers `Content-Type`, `Authorization`, `X-CSRF-Token`,"
        " `X-Workspace`, exposed `Retry-After`, `Location` and `X-Request-ID`) and to PUT/POST/GET"
        " objects (applied as bucket CORS by `dam setup-store`); empty: the API's own origin (`http://127.0.0.1:8000`,"
        " `http://localhost:8000`)"
    ),
    "DAM_MAX_UPLOAD_BYTES": "largest accepted object; a larger stored object is deleted and the asset fails",
    "DAM_MULTIPART_THRESHOLD": "declared sizes above this get multipart instructions",
    "DAM_MULTIPART_PART_SIZE": "part size (5 MiB .. 5 GiB), grown when a file would need over 10,000 parts",
    "DAM_ALLOWED_CONTENT_TYPES": (
        "comma-separated allow-list of content types (`*` wildcards); it narrows the supported"
        " formats, never widens them"
    ),
    "DAM_HOST": "the address the API listens on",
    "DAM_PORT": "the port the API listens on",
    "DAM_MAX_BODY_BYTES": "largest JSON request body (413 above it)",
    "DAM_PUBLIC_URL": (
        "the API's address as clients reach it (behind a proxy, its public `https://` URL): every URL"
        " the API hands out (upload tokens' `companion_endpoint`, share links, invitations, stream"
        " URLs, single sign-on's redirect) is built on it, and an `https://` value makes the cookies"
        " `__Host-` cookies (`__Host-dam_session`, `__Host-dam_sso`: `Secure`, `Path=/`, no `Domain`)"
        " and adds HSTS. Required outside development; with `DAM_DEV=true` it may be"
        " empty, and URLs use the address each request was sent to (a host of `DAM_ALLOWED_HOSTS`)"
    ),
    "DAM_ALLOWED_HOSTS": (
        "comma-separated host names requests may be addressed to (`.example.com` allows it and its"
        " subdomains, `*` any); empty: the host of `DAM_PUBLIC_URL` and `localhost`, `127.0.0.1`,"
        " `::1`. Any other `Host` is answered 400 `invalid_host` before anything runs (`/health` and"
        " `/ready` answer whatever the host)"
    ),
    "DAM_DEV": (
        "a development deployment: the development store secret (`minio123`), a stream key derived"
        " from the store's secret and an empty `DAM_PUBLIC_URL` are allowed. Without it `dam api` and"
        " the workers refuse to start with any of them (`dam admin`, `dam migrate` and the other"
        " one-shot commands run regardless). `make run` (`dam run`) sets it"
    ),
    "DAM_TRUSTED_PROXIES": (
        "comma-separated CIDRs of the reverse proxies in front of the API: only from these peers are"
        " `X-Forwarded-For` / `Forwarded` (the client address) and `X-Forwarded-Proto` believed (see"
        " the security page's client address)"
    ),
    "DAM_SESSION_IDLE_TIMEOUT": "a browser session ends after this many seconds without a request",
    "DAM_SESSION_MAX_AGE": "... and this many seconds after sign-in at the latest",
    "DAM_LOGIN_MAX_FAILURES": (
        "failed attempts at a password allowed per account (sign-ins and wrong current passwords), per"
        " share link and per client address within a minute; the next is 429 with `Retry-After`"
        " (reserved before each check, in Redis, shared by every API process); the last allowed wrong"
        " current password ends every session of the user"
    ),
    "DAM_ANONYMOUS_MAX_PER_MINUTE": (
        "anonymous writes allowed per client address (IPv6: per /64) a minute: share-link opens, single"
        " sign-on starts; the next is 429 with `Retry-After`"
    ),
    "DAM_PASSWORD_MIN_LENGTH": (
        "shortest password accepted (8 .. 128); common passwords are refused whatever their length"
    ),
    "DAM_UPLOAD_TOKEN_MAX_TTL": "longest `expires_in` of an upload token, seconds",
    "DAM_UPLOAD_TOKEN_RATE": (
        "assets one upload token may create per minute from one client address; the next is 429 with"
        " `Retry-After` (counted in Redis, shared by every API process)"
    ),
    "DAM_SHARE_MAX_TTL": (
        "longest `expires_in` of a share link, seconds (30 days); a workspace admin may set a shorter cap"
    ),
    "DAM_INVITATION_TTL": "how long an invitation's link can be accepted, seconds (7 days)",
    "DAM_SMTP_URL": (
        "mail invitations through this server (`smtp://host:port`, STARTTLS when offered;"
        " `smtps://user:pass@host:465`); empty: the link is shown once to the admin"
    ),
    "DAM_SMTP_FROM": "the sender of invitation mails; empty: `dam@` the host of `DAM_PUBLIC_URL`",
    "DAM_JOB_TIMEOUT": (
        "seconds one `media` job (an asset's steps of that queue) may run; a dead worker's job runs"
        " again after this (+10 s)"
    ),
    "DAM_JOB_MAX_TRIES": (
        "attempts of a step that were cut short by a dying worker or by the step's own time limit,"
        " before the step (and so the asset) is `failed`; outages do not count (see"
        " `DAM_RETRY_DEADLINE`)"
    ),
    "DAM_RETRY_DEADLINE": (
        "seconds a step keeps retrying while a dependency (storage, PostgreSQL, Redis) is unavailable;"
        " then it waits, `pending`, for the reconciler, which resumes it with a new deadline: an outage"
        " never fails an asset"
    ),
    "DAM_RETRY_MAX_DELAY": (
        "longest wait between two such retries, seconds (exponential from 1 s, with jitter)"
    ),
    "DAM_MAX_IMAGE_PIXELS": (
        "larger images are refused from their header, before decoding (decompression bombs)"
    ),
    "DAM_EVENTS_KEY": "the Redis list MinIO's notification target appends to (`access` format)",
    "DAM_UPLOAD_GRACE": (
        "seconds after the URL lifetime before a never-uploaded asset is `failed` (counted from the"
        " last time its client asked for URLs: a long multipart upload that keeps signing parts is"
        " left alone)"
    ),
    "DAM_WORKER_CONCURRENCY": "jobs one `media` worker runs at once",
    "DAM_WORKER_SHUTDOWN_GRACE": (
        "seconds a worker sent SIGTERM lets its running steps go on (it takes no new job meanwhile);"
        " then it gives them back, no attempt counted, for another worker"
    ),
    "DAM_STEPS_DISABLED": (
        "comma-separated steps this deployment never runs (e.g. `waveform,storyboard`): never"
        " planned, the asset is `ready` without them, a reprocess naming one answers 422; an unknown"
        " name (or `probe`, which every other step needs) stops the process at start-up with the"
        " valid names"
    ),
    "DAM_LOG_LEVEL": (
        "log level of every `dam` process (`debug`, `info`, `warning`, `error`, `critical`;"
        " `--log-level` overrides it)"
    ),
    "DAM_LOG_FORMAT": (
        "`text` (a line per record) or `json`: one JSON object per line on every process, `dam run`'s"
        " supervisor included (no prefix: the process is a field), with `ts`, `level`, `logger`,"
        " `message`, `process` (`api`, `worker:<queue>`, `bridge`, `cli:<command>`), `request_id` on"
        " request lines, `asset_id`, `step` and `job_id` on job lines"
    ),
    "DAM_WORKER_POLL_DELAY": (
        "the longest a worker waits between looks at its queue; a job queued (through the queue's wake"
        " list) or one of its own ending makes it look at once"
    ),
    "DAM_LADDER": (
        "the stream's rungs by short side (after rotation), comma-separated; never upscaled, a smaller"
        " video gets one rung of its own size"
    ),
    "DAM_LADDER_CHUNK_SECONDS": (
        "content one ladder job encodes at most (rounded up to whole 4 s segments): a retry costs one"
        " chunk, a killed worker resumes at its last recorded chunk"
    ),
    "DAM_TRANSCODE_TIMEOUT": (
        "seconds one `transcode` job (a chunk, the storyboard) may run; a dead worker's job runs again"
        " after this (+10 s)"
    ),
    "DAM_TRANSCODE_CONCURRENCY": "jobs one `transcode` worker runs at once (x264 uses every core it gets)",
    "DAM_STREAM_TOKEN_TTL": (
        "seconds a stream token lives at most (whatever the file's duration; each read of the asset or"
        " opening of its share link issues a fresh one); a share link's never outlives the link"
    ),
    "DAM_SEARCH_RANK_CAP": "relevance ranks at most this many matches of a search, the newest",
    "DAM_SEARCH_FACET_CAP": "facets count at most this many matches of a search, the newest",
    "DAM_SEARCH_COUNT_CAP": "a search's total counts at most this many matches (relation gte beyond)",
    "DAM_ENRICH": (
        "the kinds of enrichment that run on the `enrich` queue, comma-separated: ocr, objects, scenes,"
        " speech, similar, credentials (`none`: none); `docs/guides/enrichment.md` says what each costs"
    ),
    "DAM_ENRICH_MIN_CONFIDENCE": "model tags below this confidence (0 to 1) are not kept as searchable",
    "DAM_ENRICH_CONCURRENCY": "jobs one `enrich` worker runs at once (each runs its models on one core)",
    "DAM_ENRICH_TIMEOUT": "seconds one `enrich` job may run (pauses while it gives way to ingest count)",
    "DAM_WEBHOOK_ALLOW_HTTP": "webhook endpoints may be plain `http://` URLs (development and tests only)",
    "DAM_WEBHOOK_ALLOW_PRIVATE": (
        "webhook endpoints may reach loopback, private, link-local and metadata addresses"
        " (development and tests only: otherwise refused when made and at every delivery)"
    ),
    "DAM_WEBHOOK_RETRY_SCHEDULE": (
        "seconds before each retry of a failed webhook delivery, comma-separated, the last repeated, each"
        " moved by up to 10% (a delivery is retried for 3 days from its first attempt)"
    ),
    "DAM_TRASH_DAYS": (
        "days a deleted asset stays in the trash, restorable, before its bytes are purged for good"
        " (fractions allowed; 0: `DELETE /assets/{id}` deletes at once)"
    ),
    "DAM_ENRICH_YIELD": (
        "`dam worker --queue enrich` stops its worker while the media queue has a job due or running"
        " (2 s at most in a row), so ingest keeps its speed on a shared machine; `false` where enrich"
        " workers have machines of their own"
    ),
    "DAM_ENRICH_MODEL_CACHE": (
        "the directory the speech model is assembled in from its two wheels (empty: `share/dam/models`"
        " of the virtualenv, where `make install` assembles it)"
    ),
    "DAM_STREAM_REDIRECT_TTL": (
        "lifetime of the presigned GET each 302 of the delivery path hands out, seconds"
    ),
    "DAM_STREAM_SECRET": (
        "the HMAC key of stream tokens, at least 32 characters (`openssl rand -base64 48`), the same on"
        " every API process. Required outside development; with `DAM_DEV=true` and no value it is"
        " derived from `DAM_S3_SECRET_KEY`, and `make run` makes a random one once and keeps it in"
        " `.dev/stream-secret`"
    ),
    "DAM_STREAM_STORE_ANY_ORIGIN": (
        "applies a bucket CORS rule letting any origin GET and HEAD (players follow the delivery path's"
        " 302 with `Origin: null`); objects still need a presigned URL"
    ),
    "DAM_OIDC_ISSUER": (
        "the OpenID Connect provider's issuer URL (empty: single sign-on is off); discovery is read"
        " from `{issuer}/.well-known/openid-configuration`"
    ),
    "DAM_OIDC_CLIENT_ID": "this service's client id at the provider",
    "DAM_OIDC_CLIENT_SECRET": "this service's client secret (sent with HTTP Basic to the token endpoint)",
    "DAM_OIDC_ALLOWED_DOMAINS": "comma-separated email domains that may sign in (empty: any)",
    "DAM_OIDC_CREATE_USERS": "whether a first sign-in makes the user",
    "DAM_OIDC_WORKSPACE": "the workspace single sign-on users join (made when missing)",
    "DAM_OIDC_DEFAULT_ROLE": "their role when no mapping applies",
    "DAM_OIDC_ROLE_CLAIM": "an ID-token claim (e.g. `groups`) whose values `DAM_OIDC_ROLE_MAP` maps to roles",
    "DAM_OIDC_ROLE_MAP": (
        "`value=role` pairs, comma-separated (`dam-editors=editor,dam-admins=admin`): the highest"
        " match sets the role at every sign-in"
    ),
    "DAM_OIDC_NAME": 'what the page\'s button says after "Sign in with"',
    "DAM_OIDC_TRUST_UNVERIFIED_EMAIL": (
        "whether an ID token without `email_verified` counts as verified (for a provider that gives"
        " verified addresses only and omits the claim); `email_verified: false` is refused regardless"
    ),
}

# Variables the command line reads itself, outside ``Settings``: name -> (default, meaning).
COMMAND_LINE_VARS: dict[str, tuple[str, str]] = {
    "DAM_API_URL": ("http://127.0.0.1:8000", "the API `dam upload` talks to (`--api` overrides it)"),
    "DAM_API_KEY": ("", "the API key `dam upload` and `dam harness` send (`--api-key` overrides it)"),
}

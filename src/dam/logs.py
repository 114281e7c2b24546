"""Logging, configured once per process: text lines (the default) or one JSON object per line
(``DAM_LOG_FORMAT=json``), ids as fields, and a redacting filter as the last line of defence.

Ids ride in context variables (``bind(asset_id=...)``) or ``extra=``: a JSON line carries ``ts``,
``level``, ``logger``, ``message``, ``process`` and whichever of ``request_id``, ``asset_id``,
``step`` and ``job_id`` are bound where it was written. Whatever a line says, presigned URL
signatures and credentials, API keys, upload, share and stream tokens, sessions and passwords are
replaced by ``[redacted]`` before it is written (code should never log them; this catches the
line that does, or a library's).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

CONTEXT_FIELDS = ("request_id", "asset_id", "step", "job_id")
REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_bound: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("dam_log_fields", default={})  # noqa: B039 - never mutated

# What must never be written, whatever wrote it. Group 1 (when there is one) is kept.
_SECRETS = [
    # Presigned URLs: the signature and the credential (access key id) query values.
    re.compile(
        r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)(?:=|%3D|[\"']?\s*:\s*[\"']?))[^&\s\"',;]+"
    ),
    re.compile(r"(?i)(Signature=|AWSAccessKeyId=)[^&\s\"',;]+"),
    # API keys, upload tokens, share links (prefix then the random part).
    re.compile(r"(dam_(?:live|up|sh)_)[A-Za-z0-9_-]+"),
    # Stream tokens: <expiry>.<viewer>.<mac>.
    re.compile(r"\b[0-9a-z]{1,12}\.(?:[ukts][0-9a-f]{32}|-)\.[A-Za-z0-9_-]{32}\b"),
    # Bearer credentials, session cookies, and password or secret fields in any notation.
    re.compile(r"(?i)(\bBearer\s+)[^\s\"',;]+"),
    re.compile(r"(?i)(dam_session=)[^\s\"',;]+"),
    re.compile(r"(?i)((?:password|passwd|secret(?:_?key)?|token)[\"']?\s*[:=]\s*\")[^\"]*"),
    re.compile(r"(?i)((?:password|passwd|secret(?:_?key)?|token)[\"']?\s*[:=]\s*'?)[^\s\"'&,;}]+"),
]


# What every line with a secret holds: most lines hold none of these and cost only the check.
_HINTS = ("x-amz-", "signature=", "awsaccesskeyid=", "dam_", "bearer", "passw", "secret", "token")
_STREAM_HINT = re.compile(r"\.(?:-|[ukts][0-9a-f]{32})\.")


def redact(text: str) -> str:
    """``text`` with every secret it holds replaced by ``[redacted]``."""
    lower = text.lower()
    if not any(hint in lower for hint in _HINTS) and not _STREAM_HINT.search(text):
        return text
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + REDACTED, text)
    return text


@contextlib.contextmanager
def bind(**fields: object) -> Iterator[None]:
    """Within the block, every line this task writes carries these fields (None: not bound)."""
    merged = {**_bound.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _bound.set(merged)
    try:
        yield
    finally:
        _bound.reset(token)


def bound() -> dict[str, str]:
    """The fields bound where this is called."""
    return dict(_bound.get())


class ContextFilter(logging.Filter):
    """Puts the process name and the bound ids on every record (``extra=`` values win)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_name = self.process
        for name, value in _bound.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RedactFilter(logging.Filter):
    """The last line of defence: the message, its arguments and any traceback lose their secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Not fields of a line: the record's own attributes, and uvicorn's copy of the message with colours.
_RECORD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_STANDARD = _RECORD | {"message", "asctime", "process_name", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message``, ``process``, then the
    bound ids and ``extra=`` fields, and ``exc`` for a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": getattr(record, "process_name", ""),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                kept = value if isinstance(value, int | float | bool | None) else redact(str(value))
                line[name] = kept
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text  # redacted by RedactFilter, as the message is
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the bound ids appended as ``name=value``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(f"{n}={getattr(record, n)}" for n in CONTEXT_FIELDS if getattr(record, n, None))
        return f"{text} [{ids}]" if ids else text  # the message and traceback: see RedactFilter


def json_line(message: str, *, process: str, level: str = "INFO", logger: str = "output") -> str:
    """A line some process wrote outside logging (a traceback, a library's print), as a JSON line."""
    line = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "message": message,
        "process": process,
    }
    return redact(json.dumps(line, ensure_ascii=False))


def configure(process: str, *, level: str = "info", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Configure the root logger of this process once: one handler, the filters, the format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter(process))
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # A crash is a log line too (JSON when the format is), not a bare traceback on stderr.
    sys.excepthook = _log_uncaught
    # httpx logs every request's URL at info level: presigned URLs are credentials while they live.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Uvicorn's own loggers go through this handler too (its access log stays off).
    for name in ("uvicorn", "uvicorn.error", "arq"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("dam").critical("the process ends on an uncaught exception", exc_info=(kind, exc, tb))

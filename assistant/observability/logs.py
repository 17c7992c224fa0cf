"""Log lines: one JSON object per line (LINGLING_LOG_FORMAT=json) or plain text, personal data masked.

Every record gets the request's id and path (from context variables the request middleware sets); access lines
also carry status and duration_ms. `configure_logging(settings)` installs the root handler; `lingling serve`
(any app created with `announce`) calls it in every worker process.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from typing import IO, Any

from assistant.privacy.masking import mask_text

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("lingling_request_id", default=None)
path_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("lingling_request_path", default=None)

# Attributes a record may carry (via `extra=`) that the JSON line includes.
EXTRA_FIELDS = ("request_id", "path", "status", "duration_ms", "method", "route")
HANDLER_MARK = "_lingling_handler"
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class PiiFilter(logging.Filter):
    """Masks phone numbers, ID card numbers and USCCs in the message (arguments merged in) and fills the request
    context; put it on handlers (a logger's filters do not see records of its children)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not fit its format: log it as it is
            message = f"{record.msg!r} {record.args!r}"
        record.msg = mask_text(message)
        record.args = None
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "path", None) is None:
            record.path = path_var.get()
        return True


def _ts(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "msg", "request_id", "path", "status", "duration_ms", ... , "exc"?} per line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": _ts(record), "level": record.levelname, "logger": record.name,
                               "msg": mask_text(record.getMessage())}
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if name in ("request_id", "path") or value is not None:
                out[name] = value
        if record.exc_info:
            out["exc"] = mask_text(self.formatException(record.exc_info))
        elif record.exc_text:
            out["exc"] = mask_text(record.exc_text)
        if record.stack_info:
            out["stack"] = mask_text(self.formatStack(record.stack_info))
        return json.dumps(out, ensure_ascii=False, default=str)


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escaped(m: re.Match[str]) -> str:
    ch = m.group(0)
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def escape_controls(text: str) -> str:
    """Line breaks and other control characters as visible escapes (\\n, \\x1b ...): one record, one line."""
    return _CONTROL.sub(_escaped, text)


def _indented(text: str) -> str:
    return "\n".join("    " + escape_controls(line) for line in text.splitlines())


class TextFormatter(logging.Formatter):
    """Plain lines for people at a terminal, masked as the JSON ones. A record's own line cannot be forged: its
    message (a request path, a user's text in an error) has its line breaks and control characters escaped,
    and the lines of a traceback are indented, so every line that starts with a time stamp is a real record."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return _indented(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        for name in ("request_id", "path"):
            if not hasattr(record, name):
                setattr(record, name, None)
        line = super().format(record)
        status = getattr(record, "status", None)
        if status is not None:
            line += f" status={status} duration_ms={getattr(record, 'duration_ms', '')}"
        return mask_text(line)


def make_handler(fmt: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler with the masking filter and the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(PiiFilter())
    setattr(handler, HANDLER_MARK, True)
    return handler


def configure_logging(fmt: str = "json", level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Route every log record (the server's own included) through one masked handler on the root logger."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = make_handler(fmt, stream)
    root.addHandler(handler)
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers = []
        server_logger.propagate = True
    return handler

"""Structured JSON logs with the request context, personal data masked by the logging filter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.observability.logs import HANDLER_MARK, JsonFormatter, PiiFilter, TextFormatter, configure_logging, make_handler


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A masked JSON handler on the root logger (INFO), removed afterwards."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_line_fields_and_masking(captured: io.StringIO) -> None:
    log = logging.getLogger("lingling.test")
    log.warning("applicant %s gave %s", "13812345678", {"uscc": "91370211MA3C1234XN"})
    try:
        raise ValueError("bad id 370211199001011234")
    except ValueError:
        log.exception("failed for %s", "13912345678")
    first, second = lines(captured)
    assert set(first) >= {"ts", "level", "logger", "msg", "request_id", "path"}
    assert first["level"] == "WARNING" and first["logger"] == "lingling.test" and first["ts"].endswith("Z")
    assert first["msg"] == "applicant 138****5678 gave {'uscc': '9137**********34XN'}"
    assert "13912345678" not in json.dumps(second, ensure_ascii=False)
    assert "370211199001011234" not in second["exc"] and "3702**********1234" in second["exc"]


def test_access_lines_carry_the_request(make_client: Any, captured: io.StringIO) -> None:
    client = make_client(rate_limit=False)
    r = client.post("/webhooks/rest/webhook", json={"sender": "log-1", "message": "我的电话13812345678"},
                    headers={"X-Request-ID": "req-log-1"})
    assert r.status_code == 200
    records = lines(captured)
    access = [x for x in records if x["logger"] == "lingling.access" and x["request_id"] == "req-log-1"]
    assert access, records
    line = access[-1]
    assert line["path"] == "/webhooks/rest/webhook" and line["status"] == 200 and line["duration_ms"] >= 0
    assert line["method"] == "POST" and line["route"] == "/webhooks/rest/webhook"
    assert "13812345678" not in captured.getvalue()


def test_filter_on_text_lines() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s", ("13812345678",), None)
    assert PiiFilter().filter(record)
    assert record.getMessage() == "phone 138****5678"
    text = TextFormatter().format(record)
    assert "138****5678" in text and "13812345678" not in text
    assert json.loads(JsonFormatter().format(record))["msg"] == "phone 138****5678"


def test_configure_logging_installs_one_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_logging("json", "INFO", io.StringIO())
        configure_logging("text", "WARNING", io.StringIO())
        mine = [h for h in root.handlers if getattr(h, HANDLER_MARK, False)]
        assert len(mine) == 1 and isinstance(mine[0].formatter, TextFormatter)
        assert root.level == logging.WARNING
        assert logging.getLogger("uvicorn.error").propagate and not logging.getLogger("uvicorn.error").handlers
    finally:
        for h in [h for h in root.handlers if h not in before]:
            root.removeHandler(h)
        root.setLevel(level)


def test_serve_configures_json_logs(make_client: Any) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        make_client(announce=True, log_format="json")
        mine = [h for h in root.handlers if getattr(h, HANDLER_MARK, False)]
        assert len(mine) == 1 and isinstance(mine[0].formatter, JsonFormatter)
    finally:
        for h in [h for h in root.handlers if h not in before]:
            root.removeHandler(h)
        root.setLevel(level)

"""Row 11 (the parts of this branch): a shuffled index id table under a valid manifest loaded and answered
wrongly; `index` as a plain file stopped start-up; uncached notice PDFs cost ~0.5 s CPU each with no limit; no
read or header timeouts; every 429 logged at INFO; the text log format forgeable with %0A; a REST request
without `sender` shared the conversation "default".
"""

from __future__ import annotations

import io
import json
import logging
import random
import shutil
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions.filings import LostNoticeData
from nlu.embeddings import EncoderSpec
from nlu.pipeline import NluConfig, load_pipeline

QUESTIONS = ["医疗机构校验要多久", "食品经营许可证丢了怎么补办", "营业执照遗失怎么登报", "政务服务大厅几点上班"]


# ---- the index ---------------------------------------------------------------------------------------------

def _top_faqs(pipe: Any) -> list[str]:
    return [pipe.parse(q).ranking[0].faq_id for q in QUESTIONS]


def test_a_shuffled_id_table_under_a_valid_manifest_is_rebuilt(demo_kb: Any, ngram_data_dir: Path, tmp_path: Path,
                                                               ngram_pipeline: Any) -> None:
    data = tmp_path / "var"
    shutil.copytree(ngram_data_dir, data)
    manifest_path = data / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    docs = manifest["docs"]
    payload = [(faq, text) for _, faq, text in docs]
    random.Random(15).shuffle(payload)
    manifest["docs"] = [[i, faq, text] for (i, _, _), (faq, text) in zip(docs, payload, strict=True)]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")  # the manifest itself valid
    pipe = load_pipeline(demo_kb, NluConfig(data_dir=data, encoder=EncoderSpec("ngram"), build_workers=1))
    assert _top_faqs(pipe) == _top_faqs(ngram_pipeline)  # before the fix: the shuffled table's wrong answers
    rewritten = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert rewritten["docs"] != manifest["docs"] and rewritten.get("table_digest")


def test_index_as_a_plain_file_does_not_stop_start_up(demo_kb: Any, ngram_data_dir: Path, tmp_path: Path,
                                                      ngram_pipeline: Any) -> None:
    data = tmp_path / "var"
    shutil.copytree(ngram_data_dir, data)
    shutil.rmtree(data / "index")
    (data / "index").write_text("not a folder", encoding="utf-8")
    pipe = load_pipeline(demo_kb, NluConfig(data_dir=data, encoder=EncoderSpec("ngram"), build_workers=1))
    assert _top_faqs(pipe) == _top_faqs(ngram_pipeline)
    assert (data / "index").is_dir() and (data / "index" / "manifest.json").is_file()
    (aside,) = data.glob("index.not-a-folder-*")
    assert aside.read_text(encoding="utf-8") == "not a folder"  # nothing lost


# ---- notice PDFs ---------------------------------------------------------------------------------------------

def _publish(services: Any, key: str) -> str:
    store = services.filings
    notice = LostNoticeData(company_name="青岛西海岸新区海味餐饮有限公司", uscc="91370211MA3C4X5Y6Z",
                            license_type="食品经营许可证", license_number="JY13702110012345", lost_date=date(2026, 11, 2),
                            circumstances="遗失", contact_name="张海", contact_phone="13812345678")
    fid = store.submit_lost_notice(notice, key).filing_id
    store.approve(fid, "staff")
    number = store.publish(fid, "staff").notice_number
    assert number
    return str(number)


def test_a_notice_pdf_is_rendered_once_and_rendering_is_bounded(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from actions.filings import pdf

    renders: list[str] = []
    release = threading.Event()
    original = pdf._render

    def counted(notice: Any, font: Any, code: str, verify_url: str) -> bytes:
        renders.append(notice.number)
        release.wait(60)
        return original(notice, font, code, verify_url)

    monkeypatch.setattr(pdf, "_render", counted)
    site = "https://zwfw.example.gov.cn"  # the PDF's QR code holds the public address: the same after a restart
    live = serve(rate_limit=False, public_base_url=site)
    number = _publish(live.services, "pdf-1")
    url = f"{live.url}/notices/{number}.pdf"
    with ThreadPoolExecutor(10) as pool:
        asked = [pool.submit(httpx.get, url, timeout=90) for _ in range(10)]
        threading.Timer(2.0, release.set).start()  # the first render finishes once every request has arrived
        statuses = [f.result().status_code for f in asked]
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 503}, statuses
    assert 503 in statuses  # before the fix: ten renders at once, none refused
    busy = next(f.result() for f in asked if f.result().status_code == 503)
    assert busy.json()["message"]
    assert httpx.get(url, timeout=30).status_code == 200
    live.stop()
    again = serve(rate_limit=False, public_base_url=site, data_dir_of=live)  # a restarted server on the same data folder
    assert httpx.get(f"{again.url}/notices/{number}.pdf", timeout=30).status_code == 200
    assert renders == [number]  # rendered once, for every request, worker and restart


# ---- timeouts --------------------------------------------------------------------------------------------------

def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("protocol", ["TimedHttpToolsProtocol", "TimedH11Protocol"])
def test_slow_headers_and_slow_bodies_are_cut_off(serve: Any, monkeypatch: pytest.MonkeyPatch, protocol: str) -> None:
    from assistant.security import timeouts

    class QuickHeaders(getattr(timeouts, protocol)):  # type: ignore[misc]
        header_timeout = 1.0

    monkeypatch.setattr(timeouts, "BODY_TIMEOUT_S", 1.0)
    live = serve(rate_limit=False, uvicorn_config={"http": QuickHeaders})
    with socket.create_connection(("127.0.0.1", _port(live.url)), timeout=20) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # ... and the rest never comes
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    with socket.create_connection(("127.0.0.1", _port(live.url)), timeout=20) as sock:  # opens and says nothing
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    with socket.create_connection(("127.0.0.1", _port(live.url)), timeout=20) as sock:
        sock.sendall(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                     b"content-length: 200\r\n\r\n{\"sender\": \"slow\", ")  # 180 bytes never come
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert "请求发送得太慢".encode() in answer


def _read_all(sock: socket.socket) -> bytes:
    out = io.BytesIO()
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        out.write(chunk)
    return out.getvalue()


# ---- logs --------------------------------------------------------------------------------------------------------

def test_429s_are_summed_up_not_logged_one_by_one(make_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(rate_ip_per_minute=1, rate_ip_burst=1)
    with caplog.at_level(logging.INFO):
        statuses = [client.post("/model/parse", json={"text": "你好"}).status_code for _ in range(40)]
    assert statuses.count(429) == 39
    lines = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(("lingling", "assistant"))
             and ("429" in r.getMessage() or "refused" in r.getMessage())]
    assert len(lines) <= 1, [r.getMessage() for r in lines]  # before the fix: 39 INFO lines


def test_the_text_log_format_cannot_be_forged() -> None:
    from assistant.observability.logs import make_handler

    stream = io.StringIO()
    handler = make_handler("text", stream)
    logger = logging.getLogger("lingling.redteam")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET %s 404", "/x\n2026-01-01 00:00:00,000 INFO lingling.access [-] POST /admin 200")
        try:
            raise ValueError("bad input\n2026-01-01 00:00:00,000 CRITICAL forged")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    records = [line for line in lines if not line.startswith(" ")]
    assert len(records) == 2, lines  # every other line of the output belongs to a traceback, indented
    assert "\\n2026-01-01" in records[0]


# ---- the REST channel ---------------------------------------------------------------------------------------------

def test_rest_messages_without_sender_do_not_share_a_conversation(make_client: Any) -> None:
    client = make_client()
    first = client.post("/webhooks/rest/webhook", json={"message": "/start_lost_notice"})
    second = client.post("/webhooks/rest/webhook", json={"message": "你好"})
    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
    ids = {m["recipient_id"] for m in first.json()} | {m["recipient_id"] for m in second.json()}
    assert len(ids) == 2 and "default" not in ids, ids

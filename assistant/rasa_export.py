"""`lingling export rasa DIR`: a runnable Rasa 3.6 project from the definitions the built-in dialogue uses.

The domain is the one the dialogue sends with every action call (assistant/dialogue/domain.py: intents, entities,
slots and forms from the form declarations, every response of the dialogue and the actions); the rules say
what the dialogue's policy does (assistant/dialogue/policy.py) in Rasa's terms: an intent's answer, a form
started with its intro, its read-back with 确认提交 / 修改 / 取消, the submit action after 确认提交. `endpoints.yml`
points Rasa's action server and NLU server at 灵灵 (`/webhook`, `/model/parse`), so `rasa train core` is all the
training it needs (`config.yml`: no NLU pipeline, RulePolicy only: it trains in seconds and follows the rules
exactly). `--rasa-nlu` adds our nlu.yml and a standard NLU pipeline instead, for comparing Rasa's own NLU.

What differs from the built-in dialogue (Rasa's form loop cannot do it with rules alone): typed corrections
("电话写错了") and cancelling inside a form, digressions inside a form (every typed text answers the asked
field and is checked by the validate action), and 留言 / 呼叫导服 (tickets are the web app's service, not the
action server's: Rasa says how to reach staff instead).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
from pathlib import Path
from typing import Any

import yaml

from assistant.dialogue.domain import EXTRA_INTENTS, LOCAL_ACTIONS, RASA_VERSION, build_domain
from assistant.dialogue.form_loop import READBACK_BUTTONS
from assistant.dialogue.forms import FILING_FORMS, FORMS, HANDOFF, NOTICE_SEARCH, STATUS, FormSpec
from assistant.dialogue.policy import CHITCHAT
from assistant.dialogue.responses import Responses

DEFAULT_URL = "http://127.0.0.1:5005"
IDLE_MINUTES = 60
# Intents only our payloads carry (buttons, cards): never a typed answer to a form's question.
PAYLOAD_INTENTS = tuple(EXTRA_INTENTS)
# Simple intent → action rules (outside forms), as the policy answers them.
ANSWERS: dict[str, str] = {
    **CHITCHAT,
    "ask_service": "action_answer_faq",
    "ask_faq": "action_answer_faq",
    "human_handoff": "action_human_handoff",
    "out_of_scope": "utter_out_of_scope",
    "affirm": "utter_ack",
    "deny": "utter_deny_ack",
    "inform": "utter_no_active_form",
    "correct": "utter_no_active_form",
    "leave_message": "utter_handoff_unavailable",  # 留言 opens a ticket: the web app's, not the action server's
    "call_staff": "utter_call_staff_not_kiosk",
}
STARTS: dict[str, FormSpec] = {**FILING_FORMS, "check_status": STATUS, "search_notice": NOTICE_SEARCH}
RASA_NLU_PIPELINE: list[dict[str, Any]] = [  # Rasa's recommended pipeline for Chinese without pre-trained vectors
    {"name": "JiebaTokenizer"},  # needs jieba in Rasa's venv (scripts/provision.sh installs it)
    {"name": "RegexFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "FallbackClassifier", "threshold": 0.3},
]


def _intro(form: FormSpec) -> str | None:
    return getattr(form, "intro_response", None) or (form.intro if isinstance(form.intro, str) else None)


def _readback(form: FormSpec) -> str | None:
    return getattr(form, "readback_response", None) or (form.readback if isinstance(form.readback, str) else None)


def rasa_domain(idle_minutes: int = IDLE_MINUTES) -> dict[str, Any]:
    """The dialogue's domain (build_domain) with what a Rasa server needs on top: a typed answer maps to the
    asked field unless it is a payload-only intent, the read-backs carry their buttons, the dialogue's local
    actions are left out."""
    domain = copy.deepcopy(build_domain(Responses.load().table, idle_minutes))
    for slot in domain["slots"].values():
        for mapping in slot["mappings"]:
            if mapping.get("type") == "from_text":
                mapping["not_intent"] = list(PAYLOAD_INTENTS)
    buttons = [{"title": b.title, "payload": b.payload} for b in READBACK_BUTTONS]
    for form in FORMS.values():
        name = _readback(form)
        if form.confirm and name in domain["responses"]:
            for variant in domain["responses"][name]:
                variant["buttons"] = buttons
    domain["actions"] = [a for a in domain["actions"] if a not in LOCAL_ACTIONS]
    domain["forms"] = {k: v for k, v in domain["forms"].items() if k != HANDOFF.name}
    return domain


def _rule(title: str, steps: list[dict[str, Any]], condition: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"rule": title}
    if condition:
        rule["condition"] = condition
    rule["steps"] = steps
    return rule


def rasa_rules() -> list[dict[str, Any]]:
    """Rules of the policy's free conversation and of every form (start, completion, read-back, submit)."""
    rules = [_rule(f"{intent} → {action}", [{"intent": intent}, {"action": action}])
             for intent, action in ANSWERS.items()]
    rules.append(_rule("restart", [{"intent": "restart"}, {"action": "action_restart"}]))
    for intent, form in STARTS.items():
        intro = _intro(form)
        steps: list[dict[str, Any]] = [{"intent": intent}]
        if intro:
            steps.append({"action": intro})
        steps += [{"action": form.name}, {"active_loop": form.name}]
        rules.append(_rule(f"{intent} starts {form.name}", steps))
        done: list[dict[str, Any]] = [{"action": form.name}, {"active_loop": None}, {"slot_was_set": [{"requested_slot": None}]}]
        readback = _readback(form)
        if form.confirm and readback:
            rules.append(_rule(f"{form.name} complete: read back", [*done, {"action": readback}],
                               condition=[{"active_loop": form.name}]))
            rules.append(_rule(f"{form.name} 确认提交", [{"action": readback}, {"intent": "affirm"},
                                                      {"action": form.submit_action}]))
            rules.append(_rule(f"{form.name} 取消", [{"action": readback}, {"intent": "deny"},
                                                   {"action": "utter_cancelled"}]))
            rules.append(_rule(f"{form.name} 修改", [{"action": readback}, {"intent": "correct"},
                                                   {"action": "utter_which_correction"}]))
        else:
            rules.append(_rule(f"{form.name} complete: {form.submit_action}", [*done, {"action": form.submit_action}],
                               condition=[{"active_loop": form.name}]))
    return rules


def rasa_config(rasa_nlu: bool) -> dict[str, Any]:
    """RulePolicy only (the rules above are the whole dialogue); an NLU pipeline only with Rasa's own NLU."""
    return {
        "recipe": "default.v1",
        "language": "zh",
        "assistant_id": "lingling",
        "pipeline": RASA_NLU_PIPELINE if rasa_nlu else [],
        "policies": [{"name": "RulePolicy", "core_fallback_threshold": 0.3,
                      "core_fallback_action_name": "action_default_fallback", "enable_fallback_prediction": True}],
    }


def rasa_endpoints(url: str, token: str | None, rasa_nlu: bool) -> dict[str, Any]:
    """灵灵 as the action server (`/webhook`) and, unless Rasa's own NLU is used, as the NLU server."""
    action: dict[str, Any] = {"url": f"{url.rstrip('/')}/webhook"}
    if token:
        action["token"] = token  # sent as ?token= (actions/door.py)
    out: dict[str, Any] = {"action_endpoint": action}
    if not rasa_nlu:
        out["nlu"] = {"url": url.rstrip("/")}  # Rasa POSTs {url}/model/parse for every user message
    return out


CREDENTIALS = {
    "rest": None,
    "socketio": {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True},
}


def _dump(path: Path, data: Any, header: str = "") -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + text, encoding="utf-8")


def export_project(out: Path, url: str = DEFAULT_URL, token: str | None = None, rasa_nlu: bool = False,
                   nlu_data: Path | None = None) -> str:
    """Write the project into `out` (created); returns the hash of what training depends on (domain, config,
    rules, NLU data) — the interop test keys its cached model by it."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    head = f"# Written by `lingling export rasa` for Rasa {RASA_VERSION}; do not edit (re-export instead).\n"
    _dump(out / "domain.yml", rasa_domain(), head)
    _dump(out / "config.yml", rasa_config(rasa_nlu), head)
    _dump(out / "data" / "rules.yml", {"version": "3.1", "rules": rasa_rules()}, head)
    _dump(out / "endpoints.yml", rasa_endpoints(url, token, rasa_nlu), head)
    _dump(out / "credentials.yml", CREDENTIALS, head)
    if rasa_nlu:
        from nlu.training_data import DEFAULT_NLU

        source = nlu_data or DEFAULT_NLU
        (out / "data" / "nlu.yml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    digest = hashlib.sha256()
    for rel in ("domain.yml", "config.yml", "data/rules.yml", "data/nlu.yml"):
        path = out / rel
        if path.exists():
            digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cmd_export_rasa(args: argparse.Namespace) -> int:
    digest = export_project(Path(args.dir), args.url, args.token, args.rasa_nlu)
    print(f"Rasa {RASA_VERSION} project written to {args.dir} (training hash {digest}); "
          f"train with `rasa train{'' if args.rasa_nlu else ' core'}` there, serve with `rasa run --enable-api`")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `lingling export rasa DIR [--url URL] [--token T] [--rasa-nlu]`."""
    export = sub.add_parser("export", help="write a project for another system")
    what = export.add_subparsers(dest="what", required=True)
    rasa = what.add_parser("rasa", help="a runnable Rasa 3.6 project whose NLU and actions are 灵灵's")
    rasa.add_argument("dir", help="folder to write (created)")
    rasa.add_argument("--url", default=DEFAULT_URL, help="this 灵灵 server as Rasa reaches it (NLU and actions)")
    rasa.add_argument("--token", default=None, help="the action door's token (LINGLING_ACTION_TOKEN)")
    rasa.add_argument("--rasa-nlu", action="store_true", help="Rasa's own NLU trained on our nlu.yml instead")
    rasa.set_defaults(func=cmd_export_rasa)

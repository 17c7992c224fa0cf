"""Knowledge editing: drafts, validation, publish, rollback and retire, each audited.

Every change is made to the item's draft (its YAML text); the draft is validated like a file by the loader
and can be published only without problems. Publishing stores a new version and applies it to the running
engine (LiveKnowledge); a rollback publishes an old version's text as a new version.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.staff.audit import AuditLog
from knowledge.clock import Clock, beijing_date, system_clock
from knowledge.errors import KnowledgeValidationError, LoadProblem
from knowledge.models import ServiceItem
from knowledge.store import PUBLISHED, RETIRED, KnowledgeStore, Version
from knowledge.versions import canonical, check_text, diff_lines, dump_item, header_comment, load_raw
from nlu.live import LiveKnowledge
from nlu.retrieval import FaqChanges

log = logging.getLogger(__name__)
STATUS_LABELS = {PUBLISHED: "已发布", RETIRED: "已停用", "new": "未发布"}


class EditError(ValueError):
    """An edit cannot be made; `message` is for staff (Chinese), `problems` the validation problems."""

    def __init__(self, message: str, problems: list[LoadProblem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class Working:
    """What staff edit: the draft if there is one, else the newest version."""

    item_id: str
    text: str
    is_draft: bool
    latest: Version | None  # the newest published/retired version
    draft: Version | None

    @property
    def status(self) -> str:
        return self.latest.status if self.latest else "new"

    @property
    def name(self) -> str:
        """The item's name as the working text says."""
        return str(load_raw(self.text).get("name") or self.item_id)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class Published:
    """The outcome of a publish."""

    version: Version
    changes: FaqChanges | None


def validate(item_id: str, text: str) -> tuple[ServiceItem | None, list[LoadProblem]]:
    """The item, or the problems the loader finds in the text."""
    try:
        return check_text(item_id, text), []
    except KnowledgeValidationError as exc:
        return None, exc.problems


def skeleton(item_id: str, name: str, today: dt.date) -> str:
    """The draft of a new item: every required key, to be filled in."""
    raw: dict[str, Any] = {
        "id": item_id, "name": name, "aliases": [], "department": "青岛西海岸新区行政审批服务局", "summary": "",
        "applicable_to": "", "conditions": [], "materials": [], "steps": [], "time_limit": {}, "fees": "不收费",
        "where": {"zone": ""}, "hours": "", "phone": "", "faqs": [],
        "sources": {g: {"kind": "example"} for g in ("summary", "materials", "steps", "time_limit", "where")},
        "updated_at": today, "effective_from": today,
    }
    return dump_item(raw)


class KnowledgeService:
    """The console's knowledge operations."""

    def __init__(self, store: KnowledgeStore, live: LiveKnowledge, audit: AuditLog, clock: Clock = system_clock):
        self.store = store
        self.live = live
        self.audit = audit
        self.clock = clock

    def today(self) -> dt.date:
        return beijing_date(self.clock())

    # ---- reading -------------------------------------------------------------------------------------------
    def working(self, item_id: str) -> Working | None:
        latest = self.store.latest(item_id)
        draft = self.store.draft(item_id)
        if latest is None and draft is None:
            return None
        text = draft.text if draft else latest.text  # type: ignore[union-attr]
        return Working(item_id, text, draft is not None, latest, draft)

    def working_all(self) -> dict[str, Working]:
        """What staff edit of every item, in two queries (imports look many items up)."""
        latest, drafts = self.store.latest_all(), self.store.drafts()
        out: dict[str, Working] = {}
        for item_id in {*latest, *drafts}:
            draft, last = drafts.get(item_id), latest.get(item_id)
            out[item_id] = Working(item_id, draft.text if draft else last.text, draft is not None, last, draft)  # type: ignore[union-attr]
        return out

    def diff(self, item_id: str, old: int, new: int, raw: bool = False) -> list[Any]:
        """Diff of two versions (0 = the draft): of their content, or (raw) of their exact texts."""
        a, b = self.store.version(item_id, old), self.store.version(item_id, new)
        if a is None or b is None:
            raise EditError("没有这个版本。")
        name = lambda v: "草稿" if v.number == 0 else f"第{v.number}版"  # noqa: E731
        if raw:
            return diff_lines(a.text, b.text, name(a), name(b))
        return diff_lines(canonical(a.text), canonical(b.text), name(a), name(b))

    # ---- drafts --------------------------------------------------------------------------------------------
    def save_text(self, item_id: str, text: str, actor: str, ip: str = "") -> list[LoadProblem]:
        """Save YAML as the item's draft; returns its problems (a draft may have problems)."""
        working = self.working(item_id)
        before = working.text if working else None
        draft = self.store.save_draft(item_id, text, actor)
        _, problems = validate(item_id, draft.text)
        self.audit.record(actor, "draft_save", item_id, _short(before), {"problems": len(problems), **_diff(before, draft.text)}, ip)
        return problems

    def edit(self, item_id: str, change: Callable[[dict[str, Any]], None], actor: str, ip: str = "") -> list[LoadProblem]:
        """Apply a form change to the item's mapping and save it as the draft (comments at the top are kept)."""
        working = self.working(item_id)
        if working is None:
            raise EditError("没有这个事项。")
        raw = load_raw(working.text)
        if not raw:
            raise EditError("草稿的 YAML 有语法错误，请先在“YAML”页修正。")
        change(raw)
        return self.save_text(item_id, dump_item(raw, header_comment(working.text)), actor, ip)

    def create(self, item_id: str, name: str, actor: str, ip: str = "") -> None:
        item_id = item_id.strip()
        if self.working(item_id) is not None:
            raise EditError(f"事项编号 {item_id} 已被使用。")
        _, problems = validate(item_id, skeleton(item_id, name or item_id, self.today()))
        if any(p.field == "id" for p in problems):
            raise EditError("事项编号只能用小写字母、数字和短横线，如 food-business-license。")
        self.save_text(item_id, skeleton(item_id, name.strip() or item_id, self.today()), actor, ip)

    def discard(self, item_id: str, actor: str, ip: str = "") -> bool:
        draft = self.store.draft(item_id)
        done = self.store.discard_draft(item_id)
        if done:
            self.audit.record(actor, "draft_discard", item_id, _short(draft.text if draft else None), None, ip)
        return done

    # ---- publishing ----------------------------------------------------------------------------------------
    def publish(self, item_id: str, actor: str, ip: str = "", note: str = "") -> Published:
        """Publish the item's draft; EditError (with the problems) when it does not validate."""
        draft = self.store.draft(item_id)
        if draft is None:
            raise EditError("没有待发布的草稿。")
        return self._publish(item_id, draft.text, actor, ip, note, "publish", drop_draft=True)

    def rollback(self, item_id: str, number: int, actor: str, ip: str = "", expected: int | None = None) -> Published:
        """Publish the text of an old version as a new version."""
        old = self.store.version(item_id, number)
        if old is None or number < 1:
            raise EditError("没有这个版本。")
        return self._publish(item_id, old.text, actor, ip, f"回滚至第{number}版", "rollback", expected=expected)

    def publish_text(self, item_id: str, text: str, actor: str, ip: str = "", note: str = "") -> Published:
        """Publish a text directly (import)."""
        return self._publish(item_id, text, actor, ip, note, "publish")

    def _publish(self, item_id: str, text: str, actor: str, ip: str, note: str, action: str,
                 expected: int | None = None, drop_draft: bool = False) -> Published:
        item, problems = validate(item_id, text)
        if item is None:
            raise EditError("内容有误，不能发布。请先改正标出的问题。", problems)
        with self.live.lock:
            latest = self.store.latest(item_id)
            version = self.store.add_version(item_id, text, PUBLISHED, actor, note, expected=expected, drop_draft=drop_draft)
            changes = self.live.apply_item(item_id, item)
            self.live.sync()
        after = {"version": version.number, **_diff(latest.text if latest else None, version.text)}
        if changes is not None:
            after.update(indexed=[f.id for f in changes.upserts], removed=changes.removes)
        self.audit.record(actor, action, item_id, _version_json(latest), after, ip)
        return Published(version, changes)

    def retire(self, item_id: str, actor: str, ip: str = "") -> Version:
        """Take the item out of the live base (a new version with status retired)."""
        latest = self.store.latest(item_id)
        if latest is None or latest.status != PUBLISHED:
            raise EditError("该事项当前未发布，无需停用。")
        with self.live.lock:
            version = self.store.add_version(item_id, latest.text, RETIRED, actor, "停用")
            self.live.apply_item(item_id, None)
            self.live.sync()
        self.audit.record(actor, "retire", item_id, _version_json(latest), _version_json(version), ip)
        return version


def _short(text: str | None) -> dict[str, Any] | None:
    return None if text is None else {"chars": len(text)}


def _diff(old: str | None, new: str) -> dict[str, Any]:
    lines = [d.text for d in diff_lines(canonical(old) if old else "", canonical(new), "before", "after", context=1)]
    text = "\n".join(lines)
    return {"diff": text[:20000] + ("\n…" if len(text) > 20000 else "")}


def _version_json(v: Version | None) -> dict[str, Any] | None:
    return None if v is None else {"version": v.number, "status": v.status, "author": v.author}

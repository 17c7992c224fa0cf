"""The audit log: who did what, when, from where, with the state before and after (JSON)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select

from assistant.staff.db import staff_audit
from knowledge.clock import Clock, as_utc, system_clock

ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "user_create": "新建用户",
    "user_update": "修改用户",
    "user_password": "重置密码",
    "password_change": "修改本人密码",
    "draft_save": "保存草稿",
    "draft_discard": "放弃草稿",
    "publish": "发布",
    "rollback": "回滚",
    "retire": "停用事项",
    "import": "导入知识库",
    "export": "导出知识库",
    "test_question_add": "添加测试问题",
    "test_question_remove": "删除测试问题",
    "inbox_dismiss": "忽略待处理问题",
    "inbox_variant": "问题加为问法",
    "inbox_new_faq": "问题新建问答",
    "filing_approve": "审核通过",
    "filing_reject": "审核驳回",
    "filing_publish": "刊登公告",
    "filing_reissue": "确认补发",
    "filing_decide": "校验事项结论",
    "filing_finish": "校验办结",
    "filing_decide_items": "校验事项结论（多项）",
    "filing_pass_all": "校验全部通过并办结",
    "handoff_open": "请求人工服务",  # assistant/handoff: the applicant's 留言 / 呼叫导服
    "handoff_claim": "接手人工服务",
    "handoff_reply": "回复群众",
    "handoff_close": "人工服务结案",
    "handoff_phone": "查看回电号码",
    "handoff_purge": "清除过期人工服务记录",
    "privacy_lookup": "查询个人对话",  # assistant/privacy/routes.py
    "privacy_export": "导出个人对话",
    "privacy_delete": "删除个人对话",
}


@dataclass(frozen=True)
class AuditEntry:
    """One recorded staff action."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    ip: str

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    def pretty(self, which: str) -> str:
        value = self.before if which == "before" else self.after
        return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, default=str)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class AuditLog:
    """Appends to and reads the staff_audit table (entries are never changed or deleted)."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def record(self, actor: str, action: str, target: str = "", before: Any = None, after: Any = None,
               ip: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(staff_audit).values(
                at=self.clock(), actor=actor[:64], action=action[:64], target=target[:200],
                before=_dumps(before), after=_dumps(after), ip=ip[:64]))

    def entries(self, actor: str = "", action: str = "", target: str = "", limit: int = 50,
                offset: int = 0) -> tuple[list[AuditEntry], int]:
        """One page of entries, newest first, and the total matching."""
        stmt = select(staff_audit)
        count = select(func.count()).select_from(staff_audit)
        for col, value in (("actor", actor), ("action", action)):
            if value:
                stmt = stmt.where(staff_audit.c[col] == value)
                count = count.where(staff_audit.c[col] == value)
        if target:
            stmt = stmt.where(staff_audit.c.target.contains(target))
            count = count.where(staff_audit.c.target.contains(target))
        stmt = stmt.order_by(staff_audit.c.id.desc()).offset(max(0, offset)).limit(max(1, min(limit, 500)))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
            total = int(conn.execute(count).scalar() or 0)
        return [AuditEntry(r["id"], as_utc(r["at"]), r["actor"], r["action"], r["target"], _loads(r["before"]),
                           _loads(r["after"]), r["ip"]) for r in rows], total

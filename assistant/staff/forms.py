"""The console's knowledge forms: form fields <-> an item's YAML mapping, and problems in Chinese per field.

Form field names are the loader's locations (`where.zone`, `materials[0].name`, `variants` ...), so each
problem the loader reports lands next to its field. The mapping keeps the keys and order it was read with.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from knowledge.errors import LoadProblem
from knowledge.models import FaqTopic, MaterialForm, SourceKind

TOPIC_LABELS = {
    FaqTopic.OVERVIEW: "事项总览", FaqTopic.CONDITIONS: "办理条件", FaqTopic.MATERIALS: "申请材料",
    FaqTopic.STEPS: "办理流程", FaqTopic.TIME_LIMIT: "办理时限", FaqTopic.FEES: "收费",
    FaqTopic.WHERE: "办理地点", FaqTopic.ONLINE: "网上办理", FaqTopic.POLICY: "政策",
    FaqTopic.RESULT: "办理结果", FaqTopic.OTHER: "其他",
}
FORM_LABELS = {MaterialForm.ORIGINAL: "原件", MaterialForm.COPY: "复印件",
               MaterialForm.ORIGINAL_AND_COPY: "原件及复印件", MaterialForm.ELECTRONIC: "电子版"}
SOURCE_LABELS = {SourceKind.SEED: "服务目录", SourceKind.STATUTE: "法规", SourceKind.EXAMPLE: "示例（待替换）"}
TEXT_FIELDS = ("name", "department", "summary", "applicable_to", "fees", "hours", "phone")
LINE_FIELDS = ("aliases", "conditions", "cues")
NESTED = {"where": ("zone", "window", "address"), "time_limit": ("statutory_days", "promised_days", "notes"),
          "online_entry": ("name", "url")}
INT_FIELDS = {"time_limit.statutory_days", "time_limit.promised_days"}
DATE_FIELDS = ("updated_at", "effective_from", "effective_until")
ROWS = {"materials": ("name", "form", "copies", "notes", "required_when"), "steps": ("title", "detail")}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SPARE_ROWS = 3  # empty rows offered for new materials / steps


def lines(value: str) -> list[str]:
    """Non-empty stripped lines (variants, aliases ...); the full-width bar ｜ also separates."""
    return [x.strip() for x in re.split(r"[\n｜]", value.replace("\r", "")) if x.strip()]


def _int(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    return int(value) if re.fullmatch(r"-?\d+", value) else value


def _date(value: str) -> dt.date | str | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value


# ---- FAQs -----------------------------------------------------------------------------------------------
def faq_index(raw: Mapping[str, Any], faq_id: str) -> int | None:
    faqs = raw.get("faqs") or []
    return next((i for i, f in enumerate(faqs) if isinstance(f, dict) and f.get("id") == faq_id), None)


def faq_view(raw: Mapping[str, Any], faq_id: str) -> dict[str, Any]:
    """The form values of one FAQ."""
    i = faq_index(raw, faq_id)
    faq = raw["faqs"][i] if i is not None else {}
    source = faq.get("source") or {}
    return {
        "id": faq_id, "question": faq.get("question") or "", "variants": "\n".join(str(v) for v in faq.get("variants") or []),
        "answer": faq.get("answer") or "", "topic": str(faq.get("topic") or "other"),
        "source_kind": str(source.get("kind") or "example"), "source_ref": source.get("ref") or "",
    }


def apply_faq(raw: dict[str, Any], faq_id: str, form: Mapping[str, str]) -> None:
    """Write a FAQ form into the mapping (adds the FAQ when its id is new)."""
    faqs = raw.setdefault("faqs", [])
    i = faq_index(raw, faq_id)
    faq: dict[str, Any] = faqs[i] if i is not None else {"id": faq_id}
    faq["question"] = form.get("question", "").strip()
    faq["variants"] = lines(form.get("variants", ""))
    faq["answer"] = form.get("answer", "").strip().replace("\r\n", "\n")
    faq["topic"] = form.get("topic", "other") or "other"
    source: dict[str, Any] = {"kind": form.get("source_kind", "example") or "example"}
    if form.get("source_ref", "").strip():
        source["ref"] = form["source_ref"].strip()
    faq["source"] = source
    if i is None:
        faqs.append(faq)


def remove_faq(raw: dict[str, Any], faq_id: str) -> bool:
    i = faq_index(raw, faq_id)
    if i is None:
        return False
    del raw["faqs"][i]
    return True


def add_variant(raw: dict[str, Any], faq_id: str, text: str) -> bool:
    """Append a variant to a FAQ; False when the FAQ is missing or already has the text."""
    i = faq_index(raw, faq_id)
    if i is None:
        return False
    variants = raw["faqs"][i].setdefault("variants", [])
    if text in variants or text == raw["faqs"][i].get("question"):
        return False
    variants.append(text)
    return True


# ---- the service item -------------------------------------------------------------------------------------
def item_view(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The form values of the item's service-level fields, with spare rows for materials and steps."""
    out: dict[str, Any] = {k: str(raw.get(k) or "") for k in TEXT_FIELDS}
    for k in LINE_FIELDS:
        out[k] = "\n".join(str(x) for x in raw.get(k) or [])
    for group, keys in NESTED.items():
        sub = raw.get(group) or {}
        for key in keys:
            value = sub.get(key) if isinstance(sub, dict) else None
            out[f"{group}.{key}"] = "" if value is None else str(value)
    for k in DATE_FIELDS:
        out[k] = "" if raw.get(k) is None else str(raw.get(k))
    for group, keys in ROWS.items():
        rows = [r for r in raw.get(group) or [] if isinstance(r, dict)]
        out[group] = [{k: "" if r.get(k) is None else str(r.get(k)) for k in keys} for r in rows]
        out[group] += [{k: "" for k in keys} for _ in range(SPARE_ROWS)]
    return out


def apply_item(raw: dict[str, Any], form: Mapping[str, str]) -> None:
    """Write the service-level form into the mapping; empty optional values are removed."""
    for k in TEXT_FIELDS:
        raw[k] = form.get(k, "").strip().replace("\r\n", "\n")
    for k in LINE_FIELDS:
        raw[k] = lines(form.get(k, ""))
    for group, keys in NESTED.items():
        sub = dict(raw.get(group) or {}) if isinstance(raw.get(group), dict) else {}
        for key in keys:
            name = f"{group}.{key}"
            value: Any = _int(form.get(name, "")) if name in INT_FIELDS else form.get(name, "").strip()
            if value in (None, ""):
                sub.pop(key, None)
            else:
                sub[key] = value
        if sub or group != "online_entry":
            raw[group] = sub
        else:
            raw.pop(group, None)
    for k in DATE_FIELDS:
        value = _date(form.get(k, ""))
        if value is None and k == "effective_until":
            raw.pop(k, None)
        else:
            raw[k] = value if value is not None else ""
    for group, keys in ROWS.items():
        rows = []
        for i in range(200):
            if not any(f"{group}[{i}].{k}" in form for k in keys):
                break
            row: dict[str, Any] = {}
            for k in keys:
                value = form.get(f"{group}[{i}].{k}", "").strip()
                if k == "copies":
                    value = _int(value)  # type: ignore[assignment]
                if value not in (None, ""):
                    row[k] = value
            if any(row.get(k) for k in keys if k not in ("form", "copies")):
                rows.append(row)
        raw[group] = rows


# ---- problems in Chinese ----------------------------------------------------------------------------------
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Field required"), "此项必填"),
    (re.compile(r"^String should have at least 1 character"), "不能为空"),
    (re.compile(r"^List should have at least (\d+) item"), "至少需要 {0} 条"),
    (re.compile(r"^variants repeat (.*?);"), "问法重复：{0}"),
    (re.compile(r"^Input should be a valid integer"), "请填写整数"),
    (re.compile(r"^Input should be greater than or equal to (\d+)"), "不能小于 {0}"),
    (re.compile(r"^Input should be less than or equal to (\d+)"), "不能大于 {0}"),
    (re.compile(r"^Input should be a valid date.*(outside expected range|out of range)"), "日期不存在，请检查（格式 YYYY-MM-DD）"),
    (re.compile(r"^Input should be a valid date|^Input should be a valid date or datetime"), "日期格式应为 YYYY-MM-DD"),
    (re.compile(r"^Input should be (.*)$"), "只能选择：{0}"),
    (re.compile(r"^Extra inputs are not permitted"), "多余的字段（请检查拼写）"),
    (re.compile(r"^faq id '([^']*)' must look like '([^']*)'"), "问答编号 {0} 应为 {1}"),
    (re.compile(r"^id '([^']*)' must be a lowercase slug"), "编号 {0} 只能用小写字母、数字和短横线"),
    (re.compile(r"^not valid YAML: (day is out of range|month must be|year .* is out of range)"), "日期不存在，请检查（格式 YYYY-MM-DD）"),
    (re.compile(r"^not valid YAML: (.*)", re.S), "YAML 格式错误：{0}"),
    (re.compile(r"^effective_until is before effective_from"), "失效日期早于生效日期"),
    (re.compile(r"^sources lacks (.*?);"), "来源标注缺少：{0}"),
    (re.compile(r"^duplicate faq ids (.*?);"), "问答编号重复：{0}"),
    (re.compile(r"^source kind 'statute' needs `ref`"), "来源为法规时须填写法条"),
    (re.compile(r"^id '([^']*)' differs from the file name"), "条目编号 {0} 与所编辑的事项不一致"),
    (re.compile(r"^top level is not a mapping"), "内容应以“id: ...”开头的键值对"),
    (re.compile(r"^a YAML document marker"), "条目中不能有 --- 或 ... 分隔行"),
    (re.compile(r"^(Input should be a valid string|Input should be a valid list)"), "格式不正确"),
]


def zh_message(problem: LoadProblem) -> str:
    """A problem as staff read it."""
    for pattern, template in _MESSAGES:
        m = pattern.search(problem.message)
        if m:
            return template.format(*m.groups())
    return f"{problem.message}（{problem.fix}）"


def field_errors(problems: list[LoadProblem], faq_pos: int | None = None) -> dict[str, list[str]]:
    """Problems keyed by form field; with `faq_pos`, FAQ problems are keyed by the FAQ's own field names."""
    out: dict[str, list[str]] = {}
    prefix = f"faqs[{faq_pos}]" if faq_pos is not None else None
    for p in problems:
        loc = re.sub(r"\s*\(faq [^)]*\)$", "", p.field)
        if prefix and (loc == prefix or loc.startswith(prefix + ".") or loc.startswith(prefix + "[")):
            rest = loc[len(prefix):].lstrip(".")
            loc = "source_ref" if rest.startswith("source") and "ref" in p.message else re.sub(r"\[\d+\]$", "", rest) or "question"
            loc = "source_kind" if loc.startswith("source") and loc != "source_ref" else loc
        out.setdefault(loc, []).append(zh_message(p))
    return out

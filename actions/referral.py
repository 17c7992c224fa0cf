"""The honest referral: what 灵灵 says when no knowledge entry answers a question.

The department and what it handles come from the referral directory (knowledge/data/directory/referrals.yml) and
are true everywhere; a local window or phone number is said only once staff have confirmed it (never `example`
content): until then the person hears that the detail is being confirmed and is pointed to 12345 and the
hall's guide desk. The 转人工 button is the last resort.
"""

from __future__ import annotations

from typing import Any

from actions.payloads import button
from actions.texts import text
from knowledge.models import ReferralDirectory


def referral_message(directory: ReferralDirectory, domain: Any, matter_id: str | None,
                     question: str) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """(text, buttons, custom card) of the referral for a matter of the directory, or the generic one."""
    last = directory.last_resort
    matter = directory.matter(matter_id) if matter_id else None
    department = directory.department(matter.department) if matter else None
    card: dict[str, Any] = {"type": "referral", "matter": matter.id if matter else None, "question": question,
                            "hotline": last.hotline, "guide_desk": last.guide_desk}
    buttons = [button("转人工", "human_handoff")]
    if matter is None or department is None:
        return text(domain, "utter_referral_unknown", hotline=last.hotline, guide_desk=last.guide_desk), buttons, card
    local = department.confirmed_local()
    if local is not None:
        detail = text(domain, "utter_referral_local", where=local.where or department.name,
                      phone=local.phone or last.hotline)
    else:
        detail = text(domain, "utter_referral_unconfirmed")
    card.update(department=department.name, handles=department.handles,
                where=local.where if local else None, phone=local.phone if local else None)
    msg = text(domain, "utter_referral", matter=matter.name, department=department.name, handles=department.handles,
               detail=detail, tip=matter.tip, hotline=last.hotline, guide_desk=last.guide_desk)
    return msg.replace("  ", " ").strip(), buttons, card

"""Analytics with server-side SVG charts."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from assistant.staff.analytics import figures
from assistant.staff.charts import bar_chart, line_chart
from assistant.staff.web import STAFF, Auth, render

router = APIRouter(include_in_schema=False)
KINDS = {"lost_notice": "遗失公告", "medical_validation": "医疗机构校验"}
STATES = {"submitted": "待审核", "approved": "待刊登", "published": "已刊登", "reissued": "已补发", "rejected": "已驳回",
          "in_review": "审查中", "onsite": "现场核查", "rectification": "整改中", "passed": "校验通过", "not_passed": "校验未通过"}


@router.get("/admin/analytics")
async def analytics(request: Request, auth: Auth = STAFF, days: int = Query(default=30, ge=7, le=365)) -> Response:
    f = await run_in_threadpool(figures, auth.staff.db, auth.staff.live.current.kb, days, auth.staff.today())
    labels = [d.date.strftime("%m-%d") for d in f.days]
    charts = {
        "volume": line_chart(labels, [("咨询人次", [d.conversations for d in f.days]), ("提问数", [d.questions for d in f.days])],
                             title="每日咨询量"),
        "rates": line_chart(labels, [("答复率", [d.answered / d.questions if d.questions else 0 for d in f.days]),
                                     ("兜底率", [d.fallback / d.questions if d.questions else 0 for d in f.days])],
                            percent=True, title="每日答复率与兜底率"),
        "services": bar_chart([(name, n) for _, name, n in f.top_services], title="热门事项"),
        "faqs": bar_chart([(q, n) for _, q, n in f.top_faqs], title="热门问答", colour="#26a269"),
        "satisfaction": bar_chart([("满意（点赞）", f.up), ("不满意（点踩）", f.down)], title="满意度", colour="#e66100"),
        "filings": bar_chart([(f"{KINDS.get(k, k)}·{STATES.get(s, s)}", n) for k, s, n in f.filings],
                             title="办件状态", colour="#1a5fb4"),
    }
    return render(request, "admin/analytics.html", {"f": f, "charts": charts, "days": days}, auth=auth)

"""Export and import of the whole knowledge base (YAML stream, Excel sheet)."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from assistant.staff.transfer import export_xlsx, export_yaml, import_xlsx, import_yaml
from assistant.staff.web import EDITORS, Auth, render, secure_headers

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024
UPLOAD = File(...)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes, media_type: str, name: str) -> Response:
    response = Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return secure_headers(response)


@router.get("/admin/transfer")
def transfer(request: Request, auth: Auth = EDITORS) -> Response:
    return render(request, "admin/transfer.html", {"report": None}, auth=auth)


@router.get("/admin/knowledge/export.yml")
def export_yml(auth: Auth = EDITORS) -> Response:
    text = export_yaml(auth.staff.knowledge)
    auth.record("export", "yaml", None, {"bytes": len(text.encode())})
    return _download(text.encode("utf-8"), "application/yaml; charset=utf-8", f"lingling-knowledge-{auth.staff.today():%Y%m%d}.yml")


@router.get("/admin/knowledge/export.xlsx")
def export_excel(auth: Auth = EDITORS) -> Response:
    data = export_xlsx(auth.staff.live.current.kb)
    auth.record("export", "xlsx", None, {"bytes": len(data)})
    return _download(data, XLSX, f"lingling-faqs-{auth.staff.today():%Y%m%d}.xlsx")


@router.post("/admin/knowledge/import")
async def import_file(request: Request, auth: Auth = EDITORS, file: UploadFile = UPLOAD,
                      publish: str = Form(default="")) -> Response:
    data = await file.read(MAX_UPLOAD + 1)
    name = (file.filename or "").lower()
    if len(data) > MAX_UPLOAD:
        return render(request, "admin/transfer.html", {"report": None, "message": "文件超过 20 MB。"}, 413, auth=auth)
    actor, ip, now = auth.user.username, auth.ip, bool(publish)
    if name.endswith(".xlsx"):
        report = await run_in_threadpool(import_xlsx, auth.staff.knowledge, data, actor, ip, now)
    elif name.endswith((".yml", ".yaml")):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return render(request, "admin/transfer.html", {"report": None, "message": "YAML 文件须为 UTF-8 编码。"}, 422, auth=auth)
        report = await run_in_threadpool(import_yaml, auth.staff.knowledge, text, actor, ip, now)
    else:
        return render(request, "admin/transfer.html", {"report": None, "message": "请上传 .yml 或 .xlsx 文件。"}, 422, auth=auth)
    auth.record("import", file.filename or "", None, {"changed": report.changed, "errors": len(report.errors), "published": now})
    status = 200 if report.ok or report.changed else 422
    return render(request, "admin/transfer.html", {"report": report, "filename": file.filename}, status, auth=auth)

"""The pages applicants see: portal chat `/`, the embeddable `/widget.js`, the hall kiosk `/kiosk` and the
printable materials checklist `/print/materials`; plus the security headers of every HTML answer.

All JavaScript lives in assistant/static (no inline scripts, no inline event handlers) so the
Content-Security-Policy can forbid them; every text from users or the knowledge base is escaped by Jinja
(autoescape) on the server and set with textContent in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from assistant.routes.chat import KIOSK_PATTERN, overview_faq, popular_services
from assistant.services import services_of
from knowledge.models import Material, MaterialForm
from knowledge.provenance import GROUP_LABELS, example_groups

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

# Pages that may be framed by any portal (the widget's iframe) and those only by ourselves (kiosk viewer).
EMBED_ANCESTORS = "*"
OWN_ANCESTORS = "'self'"
# FastAPI's own API docs load their scripts inline; they are staff tools, left without the policy.
CSP_EXEMPT = ("/docs", "/redoc")

FORM_LABELS = {
    MaterialForm.ORIGINAL: "原件",
    MaterialForm.COPY: "复印件",
    MaterialForm.ORIGINAL_AND_COPY: "原件及复印件",
    MaterialForm.ELECTRONIC: "电子版",
}


def content_security_policy(frame_ancestors: str) -> str:
    """The policy of our HTML answers: only our own scripts, styles and images; no inline code."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-src 'self'; frame-ancestors {frame_ancestors}"
    )


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # every template, whatever its extension
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


templates = _templates()
router = APIRouter(tags=["pages"], include_in_schema=False)


def _page(request: Request, name: str, context: dict[str, Any], frame_ancestors: str = OWN_ANCESTORS) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context)
    response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/", response_class=HTMLResponse, name="portal")
def portal(request: Request, embed: int = Query(default=0, ge=0, le=1)) -> HTMLResponse:
    """The portal chat; `?embed=1` is the compact face shown in the widget's iframe."""
    services = services_of(request)
    context = {
        "embed": bool(embed),
        "suggestions": popular_services(services.knowledge.current.kb, 6),
        "max_chars": services.settings.max_message_chars,
    }
    return _page(request, "chat.html", context, EMBED_ANCESTORS if embed else OWN_ANCESTORS)


@router.get("/kiosk", response_class=HTMLResponse, name="kiosk")
def kiosk(request: Request, id: str | None = Query(default=None, pattern=KIOSK_PATTERN)) -> HTMLResponse:  # noqa: A002
    """The hall kiosk: touch first, elderly mode, read aloud, idle wipe, QR code, printing; `?id=3` is the kiosk's
    number (else LINGLING_KIOSK_ID), which 呼叫导服 tells the staff member to come to."""
    services = services_of(request)
    context = {
        "services": popular_services(services.knowledge.current.kb, 8),
        "idle_seconds": services.settings.kiosk_idle_seconds,
        "max_chars": services.settings.max_message_chars,
        "kiosk_id": id or services.settings.kiosk_id,
    }
    return _page(request, "kiosk.html", context)


def _material_view(m: Material) -> dict[str, Any]:
    return {
        "name": m.name,
        "form": FORM_LABELS.get(m.form, ""),
        "copies": m.copies,
        "notes": m.notes,
        "required_when": m.required_when or "",
    }


@router.get("/print/materials", response_class=HTMLResponse, name="print_materials")
def print_materials(request: Request, faq_id: str = Query(min_length=3, max_length=200),
                    embed: int = Query(default=0, ge=0, le=1),
                    large: int = Query(default=0, ge=0, le=1, description="large type (the kiosk's 长辈模式)")) -> HTMLResponse:
    """The materials checklist of the service a FAQ belongs to, for printing (`large=1`: large type)."""
    found = services_of(request).knowledge.current.kb.faq(faq_id)
    if found is None:
        response = _page(request, "print_missing.html", {"embed": bool(embed)})
        response.status_code = 404
        return response
    item, faq = found
    held = set(example_groups(item))  # facts still marked `example` are not printed as if true
    context = {
        "embed": bool(embed),
        "large": bool(large),
        "item": item,
        "faq": faq,
        "overview": overview_faq(item),
        "materials": [] if "materials" in held else [_material_view(m) for m in item.materials],
        "steps": [] if "steps" in held else item.steps,
        "held": held,
        "pending": [GROUP_LABELS[g] for g in GROUP_LABELS if g in held],
    }
    return _page(request, "print_materials.html", context)


@router.get("/widget.js", name="widget")
def widget() -> FileResponse:
    """The script any portal page includes to get the floating chat button."""
    return FileResponse(
        STATIC_DIR / "js" / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )

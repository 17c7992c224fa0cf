"""GET /health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from assistant.services import Services

router = APIRouter()


@router.get("/health", tags=["ops"])
async def health(request: Request) -> dict[str, Any]:
    """200 with {"status": "ok"} once the app serves (on the event loop: no thread, no database, no lock)."""
    services: Services | None = request.app.state.services
    if services is None:
        return {"status": "starting"}
    snap = services.knowledge.current
    return {
        "status": "ok",
        "services": len(snap.kb.items),
        "faqs": len(snap.kb.faqs),
        "encoder": snap.nlu.encoder.name,
        "vectors": len(snap.nlu.retriever.index),
    }

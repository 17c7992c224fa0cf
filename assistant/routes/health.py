"""GET /health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/health", tags=["ops"])
def health(request: Request) -> dict[str, Any]:
    """200 with {"status": "ok"} once the app serves."""
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return {"status": "starting"}
    return {
        "status": "ok",
        "services": len(engine.kb.items),
        "faqs": len(engine.kb.faqs),
        "encoder": engine.nlu.encoder.name,
        "vectors": len(engine.nlu.retriever.index),
    }

"""The rasa-sdk action server door: POST /webhook and GET /actions (Rasa SDK's protocol).

`register(app, settings)` mounts it on the web app; `actions.serve` runs it standalone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

from actions.registry import build_registry

if TYPE_CHECKING:
    from actions.filings import FilingStore
    from assistant.container import Engine
    from assistant.settings import Settings

log = logging.getLogger(__name__)
EXECUTOR_KEY = "action_executor"  # engine.extras key (and app.state attribute when standalone)
FILINGS_KEY = "filings"

router = APIRouter(tags=["action server"])


def _executor(request: Request) -> ActionExecutor | None:
    found = getattr(request.app.state, EXECUTOR_KEY, None)
    if found is None:
        engine = getattr(request.app.state, "engine", None)
        found = engine.extras.get(EXECUTOR_KEY) if engine is not None else None
    return found


@router.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    """Run the action named by `next_action`; 404 for an unknown action, exactly as rasa-sdk answers."""
    try:
        call = await request.json()
    except ValueError:
        call = None
    if not isinstance(call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    executor = _executor(request)
    if executor is None:
        return JSONResponse({"error": "action server is starting"}, status_code=503)
    try:
        result = await executor.run(call)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    except ActionMissingDomainException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=449)
    except Exception as exc:  # noqa: BLE001 - rasa-sdk answers every other failure with 500 and the error
        log.exception("action %s failed", call.get("next_action"))
        return JSONResponse({"error": str(exc), "request_body": call}, status_code=500)
    return JSONResponse(result.model_dump() if result else None)


@router.get("/actions")
def actions(request: Request) -> JSONResponse:
    """Every registered action name."""
    executor = _executor(request)
    names: list[dict[str, Any]] = [a.model_dump() for a in executor.list_actions()] if executor else []
    return JSONResponse(names)


def ensure_filings(extras: dict[str, Any], db_url: str) -> tuple[FilingStore, bool]:
    """The FilingStore of engine.extras, created and migrated when absent; True when created here."""
    from actions.filings import FilingStore

    store = extras.get(FILINGS_KEY)
    if store is not None:
        return store, False
    store = FilingStore(db_url)
    store.migrate()
    extras[FILINGS_KEY] = store
    return store, True


def start_actions(app: FastAPI, engine: Engine) -> None:
    """Start-up hook: the action registry (with the engine's knowledge base and filings) as an executor."""
    filings, created = ensure_filings(engine.extras, engine.settings.db_url)
    if created:
        app.state.filings_owned = True
    engine.extras[EXECUTOR_KEY] = build_registry(engine.kb, filings).executor()


def register(app: FastAPI, settings: Settings) -> None:
    """Mount the action server on the web app."""
    app.include_router(router)
    app.state.startup_hooks.append(start_actions)

"""The rasa-sdk action server door: POST /webhook and GET /actions (Rasa SDK's protocol).

The web app (assistant/app.py) and the standalone server (actions/serve.py) both include `router`; each puts
its services on `app.state.services`, whose `actions` is the ActionExecutor run here.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

log = logging.getLogger(__name__)

router = APIRouter(tags=["action server"])


class ActionHost(Protocol):
    """The services of an app that serves the actions (the web app's and the standalone server's)."""

    @property
    def actions(self) -> ActionExecutor: ...


def _executor(request: Request) -> ActionExecutor | None:
    """The executor of the app's services; None until they are started."""
    services: ActionHost | None = getattr(request.app.state, "services", None)
    return services.actions if services is not None else None


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

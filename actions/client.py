"""Calling actions through Rasa SDK's protocol: in process (ActionExecutor) or over HTTP (httpx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

if TYPE_CHECKING:
    import httpx  # imported when a remote action is called: the in-process client (the default) never needs it


@dataclass(frozen=True)
class ActionResult:
    """An action server's answer, as on the wire: Rasa event dicts and response dicts."""

    events: tuple[dict[str, Any], ...]
    responses: tuple[dict[str, Any], ...]


class ActionCallError(Exception):
    """The action could not run (unknown name, rejected, server down)."""

    def __init__(self, action_name: str, status: int, detail: str):
        super().__init__(f"action {action_name!r} failed ({status}): {detail}")
        self.action_name = action_name
        self.status = status
        self.detail = detail


class ActionClient(Protocol):
    """Runs one action call (next_action, sender_id, tracker, domain, version)."""

    async def run(self, call: dict[str, Any]) -> ActionResult: ...


class InProcessActionClient:
    """Runs actions in this process with rasa-sdk's ActionExecutor."""

    def __init__(self, executor: ActionExecutor):
        self.executor = executor

    async def run(self, call: dict[str, Any]) -> ActionResult:
        name = str(call.get("next_action"))
        try:
            result = await self.executor.run(call)
        except ActionNotFoundException as exc:
            raise ActionCallError(name, 404, exc.message) from exc
        except ActionExecutionRejection as exc:
            raise ActionCallError(name, 400, exc.message) from exc
        if result is None:
            raise ActionCallError(name, 400, "no action name")
        return ActionResult(tuple(result.events), tuple(result.responses))


class HttpActionClient:
    """Posts action calls to a remote action server (endpoints.yml's action_endpoint.url)."""

    def __init__(self, url: str, timeout: float = 10.0, client: httpx.AsyncClient | None = None,
                 token: str | None = None):
        self.url = url
        self.timeout = timeout
        self.client = client
        self.params = {"token": token} if token else {}  # as Rasa sends action_endpoint.token (actions/door.py)

    async def run(self, call: dict[str, Any]) -> ActionResult:
        import httpx

        name = str(call.get("next_action"))
        try:
            if self.client is not None:
                resp = await self.client.post(self.url, json=call, params=self.params, timeout=self.timeout)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    resp = await client.post(self.url, json=call, params=self.params)
        except httpx.HTTPError as exc:
            raise ActionCallError(name, 503, str(exc)) from exc
        if resp.status_code != 200:
            raise ActionCallError(name, resp.status_code, resp.text[:500])
        body = resp.json() or {}
        events = tuple(e for e in body.get("events") or [] if isinstance(e, dict) and e.get("event"))
        responses = tuple(r for r in body.get("responses") or [] if isinstance(r, dict))
        return ActionResult(events, responses)

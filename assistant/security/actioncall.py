"""The action server door (POST /webhook, GET /actions) on the public web app.

- Only a Rasa server may call it: the web app runs its actions in process, so /webhook serves an external Rasa
  server only. The rule is actions/door.py's: a call with the action token (LINGLING_ACTION_TOKEN, Rasa's
  `action_endpoint.token`, sent as `?token=`) passes from anywhere; without it only a direct loopback call (no
  proxy header) passes. Everything else, a request relayed by a reverse proxy included, gets 403.
- The action call must have rasa-sdk's shape (next_action a string, tracker an object with the documented field
  types, domain an object); anything else is answered as rasa-sdk answers an unreadable body: 400
  {"error": "Invalid body request"}, instead of failing inside an action with a 500.
"""

from __future__ import annotations

import json
from typing import Any

from actions.asgi_body import read_body
from actions.door import DOORS, FORBIDDEN, caller_allowed
from assistant.security.asgi import ASGIApp, Receive, Scope, Send, envelope, send_json

# rasa-sdk tracker fields and the JSON types they must have when present.
TRACKER_FIELDS: dict[str, tuple[type, ...]] = {
    "sender_id": (str,), "slots": (dict,), "latest_message": (dict, type(None)), "events": (list,),
    "paused": (bool,), "followup_action": (str, type(None)), "active_loop": (dict, type(None)),
    "latest_action_name": (str, type(None)), "latest_event_time": (int, float, type(None)), "latest_input_channel": (str, type(None)),
    "latest_action": (dict, type(None)),
}


def call_shape_ok(call: Any) -> bool:
    """True when `call` looks like a rasa-sdk action call."""
    if not isinstance(call, dict) or not isinstance(call.get("next_action"), str) or not call["next_action"]:
        return False
    tracker = call.get("tracker")
    if not isinstance(tracker, dict) or not isinstance(tracker.get("sender_id"), str):
        return False
    for name, types in TRACKER_FIELDS.items():
        if name in tracker and (not isinstance(tracker[name], types) or (bool not in types and isinstance(tracker[name], bool))):
            return False
    if not all(isinstance(e, dict) for e in tracker.get("events") or []):
        return False
    latest = tracker.get("latest_message") or {}
    if not isinstance(latest.get("intent", {}) or {}, dict) or not isinstance(latest.get("entities", []) or [], list):
        return False
    if not all(isinstance(e, dict) for e in latest.get("entities") or []):
        return False
    if not isinstance(call.get("domain", {}), dict) or not isinstance(call.get("version", ""), str):
        return False
    return True


class ActionDoor:
    """Pure ASGI middleware in front of /webhook and /actions."""

    def __init__(self, app: ASGIApp, token: str | None = None):
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in DOORS:
            await self.app(scope, receive, send)
            return
        if not caller_allowed(scope, self.token):
            await send_json(send, 403, envelope("forbidden", FORBIDDEN,
                                                "the action server door takes direct loopback calls or the action token"))
            return
        if scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        buffered = await read_body(receive)  # bounded by the body-size middleware before it
        try:
            call = json.loads(buffered.body)
        except (ValueError, RecursionError):
            call = None
        if not call_shape_ok(call):
            await send_json(send, 400, {"error": "Invalid body request"})
            return
        await self.app(scope, buffered.replay(receive), send)

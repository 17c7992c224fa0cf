"""One input hygiene for every door: what no layer below can take is dealt with here, before any route (or
socket.io handler) sees it — instead of a 500 or 503 deep inside.

Refused with a Chinese message (JSON bodies and socket.io: 422 `bad_request`; query string, path, form: 400):
- bytes that are not UTF-8 in a JSON or form body (lone surrogates sent as raw bytes: JSON decoding lets them
  through as text that cannot be stored);
- lone UTF-16 surrogates ("\\ud800" escapes: valid JSON, but not Unicode text; surrogate pairs — an emoji as two
  escapes — are fine);
- JSON nested deeper than MAX_DEPTH: Python's JSON decoder, pydantic's serialiser and the dialogue's stored state
  all have recursion limits (a 1,000-deep body raised RecursionError in the rate limiter);
- NUL characters (U+0000; PostgreSQL's text cannot hold them) in the path, the query string and form fields —
  identifiers, search terms, user names.
Dropped: NUL characters in JSON strings (a chat message, its metadata): the message is answered as if they were
not there, as the chat page always dropped control characters. POST /model/parse keeps them: it stores nothing,
ignores control characters when it reads, and answers with the text exactly as sent (entity offsets point into it).

`InputHygiene` is the HTTP middleware; `guard_socketio` puts the same treatment (`scrubbed`) in front of the
socket.io channel's messages. Multipart uploads (the staff
console's imports) are checked by their own importers. Payloads inside a chat message (`/inform{...}`) are
bounded by the NLU's payload parser (nlu/classifier.py).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from actions.asgi_body import read_body
from assistant.security.asgi import ASGIApp, Receive, Scope, Send, envelope, header, send_json

log = logging.getLogger(__name__)

MAX_DEPTH = 32  # nesting of JSON arrays/objects (Rasa trackers need about 8)
MAX_BODY = 4 * 1024 * 1024  # larger bodies (none on the public doors: body.py refuses them first) pass untouched
INVALID = "请求中含有无法识别的字符，请检查后重试。"
TOO_DEEP = "请求内容的嵌套层级太深，请检查后重试。"

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_NUL_ESCAPE = b"\\u0000"


def text_problem(text: str) -> str | None:
    """"surrogate" or "nul" when `text` holds a character no layer below can store (that order), else None."""
    if _SURROGATE.search(text):
        return "surrogate"
    return "nul" if "\x00" in text else None


def problem_in(value: Any, max_depth: int = MAX_DEPTH, nul: bool = True) -> str | None:
    """Why decoded JSON `value` cannot be taken ("depth", "nul", "surrogate"; NUL not counted with `nul=False`),
    or None. Iterative, so any depth is looked at without a recursion limit of its own."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem and (nul or problem != "nul"):
                return problem
        elif isinstance(item, (list, tuple, dict)):
            if depth >= max_depth:
                return "depth"
            if isinstance(item, dict):
                for key, inner in item.items():
                    stack.append((key, depth + 1))
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)
    return None


def without_nul(value: Any) -> Any:
    """`value` (decoded JSON, at most MAX_DEPTH deep) with the NUL characters of its strings and keys dropped."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


def scrubbed(value: Any) -> tuple[Any, str | None]:
    """(decoded JSON `value` without NUL characters, None) — or (value, "depth" | "surrogate") to refuse."""
    problem = problem_in(value, nul=False)
    if problem:
        return value, problem
    return (without_nul(value) if problem_in(value) == "nul" else value), None


def json_problem(body: bytes, keep_nul: bool = False) -> tuple[str | None, bytes | None]:
    """(why a JSON body must be refused — "encoding", "depth", "surrogate" — or None, the body to pass on instead
    when NUL characters were dropped (unless `keep_nul`), or None). Not JSON at all is left to the route (422
    `bad_json`). Parses only bodies that could hold a problem."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "encoding", None
    suspicious = (_SURROGATE_ESCAPE.search(body) is not None or _NUL_ESCAPE in body
                  or body.count(b"[") + body.count(b"{") > MAX_DEPTH)
    if not suspicious:
        return None, None
    try:
        value = json.loads(body)
    except RecursionError:
        return "depth", None
    except ValueError:
        return None, None
    clean, problem = scrubbed(value)
    if problem:
        return problem, None
    if keep_nul or clean is value:
        return None, None
    return None, json.dumps(clean, ensure_ascii=False).encode("utf-8")


def form_problem(body: bytes, keep_nul: bool = False) -> tuple[str | None, bytes | None]:
    """(why an urlencoded form body must be refused — "nul", "encoding" — or None, None)."""
    raw = unquote_to_bytes(body.replace(b"+", b" "))
    if b"\x00" in raw:
        return "nul", None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "encoding", None
    return None, None


def url_problem(scope: Scope) -> str | None:
    """"nul" for a NUL in the path or the query string, else None."""
    if "\x00" in str(scope.get("path", "")):
        return "nul"
    query = bytes(scope.get("query_string") or b"")
    if b"\x00" in query or b"%00" in query:
        return "nul"
    return None


def _answer(problem: str) -> tuple[str, str]:
    return (TOO_DEEP if problem == "depth" else INVALID), {
        "depth": f"JSON nested deeper than {MAX_DEPTH}", "nul": "NUL character", "surrogate": "lone UTF-16 surrogate",
        "encoding": "body is not UTF-8",
    }[problem]


class InputHygiene:
    """Pure ASGI middleware: the checks above for every HTTP request (`skip`: paths with their own, socket.io;
    `keep_nul`: JSON doors that take NUL characters as they are)."""

    def __init__(self, app: ASGIApp, skip: tuple[str, ...] = ("/socket.io",), keep_nul: tuple[str, ...] = ("/model/parse",)):
        self.app = app
        self.skip = skip
        self.keep_nul = keep_nul

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.skip):
            await self.app(scope, receive, send)
            return
        problem = url_problem(scope)
        if problem:
            text, detail = _answer(problem)
            await send_json(send, 400, envelope("bad_request", text, f"{detail} in the URL"))
            return
        kind = (header(scope, b"content-type") or "").lower()
        check = json_problem if "json" in kind else form_problem if "x-www-form-urlencoded" in kind else None
        if check is None or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        buffered = await read_body(receive, MAX_BODY)
        if buffered.complete:
            problem, replaced = check(buffered.body, keep_nul=scope.get("path") in self.keep_nul)
            if problem:
                text, detail = _answer(problem)
                status = 422 if check is json_problem else 400
                await send_json(send, status, envelope("bad_request", text, detail))
                return
            if replaced is not None:  # the same JSON without its NUL characters
                buffered = buffered.replaced(replaced)
                scope["headers"] = [(k, str(len(replaced)).encode() if k == b"content-length" else v)
                                    for k, v in scope.get("headers") or ()]
        await self.app(scope, buffered.replay(receive), send)


def guard_socketio(channel: Any) -> bool:
    """Put `scrubbed` in front of the socket.io channel's user-message handler: NUL characters are dropped, a
    message it refuses is answered with one `bot_uttered` {"text": the Chinese message} to that socket and goes no
    further. True when installed."""
    sio: Any = getattr(channel, "sio", None)
    namespace = getattr(channel, "namespace", "/")
    event = getattr(channel, "user_message_evt", None)
    handlers = getattr(sio, "handlers", {}).get(namespace, {})
    original = handlers.get(event) if event else None
    if original is None or getattr(original, "_hygiene", False):
        return False

    async def checked(sid: str, data: Any = None) -> Any:
        data, problem = scrubbed(data)
        if problem:
            log.info("socket.io %s: message refused (%s)", sid, _answer(problem)[1])
            await sio.emit(channel.bot_message_evt, {"text": _answer(problem)[0]}, to=sid, namespace=namespace)
            return None
        return await original(sid, data)

    checked._hygiene = True  # type: ignore[attr-defined]
    handlers[event] = checked
    return True

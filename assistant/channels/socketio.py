"""Rasa's socket.io channel (`socketio` in Rasa's credentials.yml), for widgets such as rasa-webchat.

Protocol (Socket.IO 5 over Engine.IO 4, i.e. socket.io-client v3/v4, which rasa-webchat 1.0.1 bundles), mounted
at `/socket.io`:

- `session_request` {session_id?} → `session_confirm` <session id> (a new uuid4 hex when none was given).
  With `session_persistence` (our default) the socket joins its session, so every tab of it sees the replies.
- `user_uttered` {message, session_id, customData} → one `bot_uttered` per part of each bot message, in
  Rasa's order and shapes (rasa/core/channels/socketio.py, SocketIOOutput + OutputChannel.send_response):
  `{"text"}` or `{"text", "quick_replies": [{"content_type": "text", "title", "payload"}]}`, then the
  `custom` dict as it is, then `{"attachment": {"type": "image", "payload": {"src"}}}`.
  With `session_persistence` the sender is the message's `session_id` and a message without one is ignored
  (as Rasa does); without it the sender is the socket id.
- The dialogue is the REST channel's (`Services.dialogue`, channel "socketio"): same conversation store,
  so the session id is the sender id everywhere.

Differences from Rasa, all for the widget that shows our answers:
- rasa-webchat renders `text` as Markdown (and follows any link it contains), while our texts are plain: `text`
  is sent Markdown-escaped with its line breaks kept (`markdown=False` sends it raw).
- rasa-webchat ignores custom payloads it does not know, so our cards (answer_card, multi_select, notice ...)
  also put what they carry beyond the text into the text (`card_text=False` turns that off).
- An empty `message` (rasa-webchat sends one when no `initPayload` is set) starts no turn.
- What staff answer to a handoff ticket (assistant/handoff) is pushed to the session's sockets as `bot_uttered`
  events, like any bot message: each process polls the replies table once a second (`pushing`), so the socket
  gets it whichever worker the staff member's request reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import socketio
from fastapi import APIRouter, FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.dialogue.messages import BotMessage
from assistant.handoff.desk import HandoffDesk
from assistant.settings import Environment, Settings

log = logging.getLogger(__name__)

CHANNEL = "socketio"
MOUNT_PATH = "/socket.io"
MAX_SESSION_ID = 128  # as the REST channel's sender
MAX_PACKET_BYTES = 64 * 1024  # one message is at most max_message_chars (2000) characters plus customData
PUSH_INTERVAL_S = 1.0  # how often each process looks for staff replies to push
# Pages on the loopback interface (any port) may connect outside production: local portals and the tests.
DEV_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")

STARTING = "灵灵正在启动，请稍后再试。"
FAILED = "抱歉，灵灵暂时出了点问题，请稍后再试；也可以拨打大厅咨询电话。"
CHOOSE = "请选择："

router = APIRouter(tags=["rasa channels"])


@router.get("/webhooks/socketio/")
def socketio_health() -> dict[str, str]:
    """Rasa's channel health answer."""
    return {"status": "ok"}


class SocketIOSettings(BaseSettings):
    """The channel's credentials (Rasa's names), from LINGLING_SOCKETIO_* variables."""

    model_config = SettingsConfigDict(env_prefix="LINGLING_SOCKETIO_", env_file=None, extra="ignore")

    user_message_evt: str = "user_uttered"
    bot_message_evt: str = "bot_uttered"
    session_persistence: bool = True
    namespace: str | None = None
    metadata_key: str = "customData"  # rasa-webchat's name; Rasa 3 reads "metadata"
    cors_origins: str = ""  # comma-separated origins allowed besides the app's own, e.g. https://portal.example.cn
    card_text: bool = True
    markdown: bool = True


# ---------------------------------------------------------------------------------------------- origins


class OriginPolicy:
    """Which browser pages may connect: the app's own origin plus the configured ones.

    An entry is an exact origin (`https://portal.example.cn`), an origin with any port (`http://127.0.0.1:*`)
    or `*` (everyone). Clients that send no Origin (servers, python-socketio) are not browsers and not asked.
    """

    def __init__(self, origins: Iterable[str]):
        self.exact: set[str] = set()
        self.any_port: set[str] = set()
        self.everyone = False
        for raw in origins:
            entry = raw.strip().rstrip("/")
            if not entry:
                continue
            if entry == "*":
                self.everyone = True
            elif entry.endswith(":*"):
                self.any_port.add(entry[:-2].lower())
            else:
                self.exact.add(entry.lower())

    def __call__(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        if not origin:
            return True
        origin = origin.rstrip("/").lower()
        if self.everyone or origin in self.exact or origin == _own_origin(environ):
            return True
        parts = urlsplit(origin)
        return f"{parts.scheme}://{parts.hostname}" in self.any_port and parts.port is not None


def _own_origin(environ: dict[str, Any] | None) -> str | None:
    if not environ or "HTTP_HOST" not in environ:
        return None
    scheme = str(environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")).split(",")[0].strip()
    host = str(environ.get("HTTP_X_FORWARDED_HOST") or environ["HTTP_HOST"]).split(",")[0].strip()
    return f"{scheme}://{host}".lower()


def allowed_origins(settings: Settings, configured: str) -> list[str]:
    """The configured origins, plus loopback pages outside production."""
    origins = [o for o in re.split(r"[,\s]+", configured) if o]
    if settings.env is not Environment.PRODUCTION:
        origins += DEV_ORIGINS
    return origins


# ---------------------------------------------------------------------------------------------- wire shapes

_URL = re.compile(r"https?://[^\s<>\"'，。；、）》】]+")
_MD_INLINE = re.compile(r"([\\`*_\[\]~|])")
_MD_BLOCK = re.compile(r"^(\s*)(?:([#>+-])|(\d+)([.)]))")


def md_escape(text: str) -> str:
    """Plain text as Markdown that shows the same: special characters escaped, line breaks kept, bare URLs intact."""
    return "  \n".join(_md_line(line) for line in text.split("\n"))


def _md_line(line: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(line):
        out.append(_MD_INLINE.sub(r"\\\1", line[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_MD_INLINE.sub(r"\\\1", line[pos:]))
    escaped = "".join(out)
    return _MD_BLOCK.sub(lambda b: b.group(1) + (f"\\{b.group(2)}" if b.group(2) else f"{b.group(3)}\\{b.group(4)}"), escaped)


def md_link(label: str, url: str) -> str | None:
    """A Markdown link to an http(s) URL; None for any other scheme."""
    target = _http_url(url)
    if target is None:
        return None
    label = _MD_INLINE.sub(r"\\\1", label)
    return f"[{label}]({target})"


def _http_url(url: str) -> str | None:
    """The URL with spaces and parentheses encoded, when it is http(s); otherwise None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url.strip(), safe=":/?#&=%+,;@!$'*~.-_")


class _Text:
    """Writes the card text as Markdown (for rasa-webchat) or as plain text."""

    def __init__(self, markdown: bool):
        self.markdown = markdown
        self.br = "  \n" if markdown else "\n"

    def esc(self, value: Any) -> str:
        return md_escape(str(value)) if self.markdown else str(value)

    def bold(self, label: str) -> str:
        return f"**{label}**" if self.markdown else label

    def line(self, label: str, value: Any) -> str | None:
        if value in (None, "", [], {}):
            return None
        return f"{self.bold(label)}：{self.esc(value)}"

    def link(self, label: str, url: Any) -> str | None:
        target = _http_url(str(url or ""))
        if target is None:
            return None
        return md_link(label, target) if self.markdown else f"{label}：{target}"


def card_details(custom: dict[str, Any], has_text: bool, markdown: bool = True) -> list[str]:
    """Paragraphs for what a custom card carries beyond the message text (rasa-webchat shows no cards)."""
    t = _Text(markdown)
    kind = custom.get("type")
    out: list[str | None] = []
    if kind == "answer_card":
        if not has_text:
            out.append(t.esc(custom.get("answer") or custom.get("question") or ""))
        source = custom.get("source")
        if isinstance(source, dict) and source.get("kind") == "example":
            out.append(t.esc(UNCONFIRMED_ANSWER))
        materials = [m for m in custom.get("materials") or [] if isinstance(m, dict) and m.get("name")]
        if materials:
            dot = "\\." if markdown else "."
            items = [f"{i}{dot} {t.esc(m['name'])}" + (f"（{t.esc(m['required_when'])}）" if m.get("required_when") else "")
                     for i, m in enumerate(materials, 1)]
            out.append(t.bold("所需材料") + t.br + t.br.join(items))
        steps = [s for s in custom.get("steps") or [] if isinstance(s, dict) and s.get("title")]
        if steps:
            out.append(t.line("办理流程", " → ".join(str(s["title"]) for s in steps)))
        out.append(t.line("办理时限", _time_limit(custom.get("time_limit"))))
        where = custom.get("where")
        if isinstance(where, dict):
            out.append(t.line("办理地点", " ".join(str(where[k]) for k in ("address", "zone", "window") if where.get(k))))
        out += [t.line("办公时间", custom.get("hours")), t.line("咨询电话", custom.get("phone"))]
        entry = custom.get("online_entry")
        if isinstance(entry, dict):
            link = t.link(str(entry.get("name") or "网上办理"), entry.get("url"))
            out.append(f"{t.bold('网上办理')}：{link}" if link else None)
        basis = [b for b in custom.get("legal_basis") or [] if isinstance(b, dict) and b.get("statute")]
        if basis:
            out.append(t.line("办理依据", "；".join(f"《{b['statute']}》{b.get('article') or ''}" for b in basis)))
        out.append(pending_note(custom, t))
    elif kind == "multi_select":
        titles = [str(o["title"]) for o in custom.get("options") or [] if isinstance(o, dict) and o.get("title")]
        if titles:
            out.append(t.line("可选（可多选，直接输入名称，多个用顿号隔开）", "、".join(titles)))
    elif kind == "notice":
        if not has_text:
            out.append(t.line("遗失公告", " ".join(str(custom[k]) for k in ("number", "company_name", "license_type")
                                                if custom.get(k))))
        out.append(t.link("查看公告", custom.get("url")))
    elif kind == "handoff" and not has_text:
        out += [t.line("服务时间", custom.get("hours")), t.line("政务服务便民热线", custom.get("hotline"))]
    elif kind == "handoff_ticket" and not has_text:
        out += [t.line("人工服务", custom.get("number")), t.line("地点", custom.get("where"))]
    elif not has_text and kind == "readback":
        out += [t.line(str(f.get("label") or f.get("slot")), f.get("value"))
                for f in custom.get("fields") or [] if isinstance(f, dict)]
    elif not has_text and kind == "receipt":
        out += [t.line("受理编号", custom.get("filing_id")), t.line("状态", custom.get("status_label")),
                t.esc(custom.get("status_hint") or "")]
    return [p for p in out if p]


UNCONFIRMED_ANSWER = "（这条答复中的部分信息正在核实，仅供参考；请以大厅窗口公示为准，或拨打 12345 政务服务便民热线咨询。）"


def pending_note(custom: dict[str, Any], t: _Text) -> str | None:
    """What the card leaves out because it is not confirmed yet (knowledge marked `example`), and where to ask."""
    labels = [str(p["label"]) for p in custom.get("pending") or [] if isinstance(p, dict) and p.get("label")]
    if not labels:
        return None
    return t.line("正在核实", f"{'、'.join(labels)}等信息正在核实，请到政务服务中心大厅咨询台询问，"
                              "或拨打 12345 政务服务便民热线。")


def _time_limit(limit: Any) -> str | None:
    if not isinstance(limit, dict):
        return None
    promised, statutory = limit.get("promised_days"), limit.get("statutory_days")
    if promised == 0:
        return "当场办结"
    if promised:
        return f"承诺{promised}个工作日"
    if statutory:
        return f"法定{statutory}个工作日"
    return str(limit["notes"]) if limit.get("notes") else None


@dataclass(frozen=True)
class WireOptions:
    """How bot messages become events: card text added, and text sent as Markdown (rasa-webchat renders it)."""

    card_text: bool = True
    markdown: bool = True


def to_events(message: BotMessage, options: WireOptions | None = None) -> list[dict[str, Any]]:
    """One bot message as Rasa's socket.io events: text (with quick replies), custom, image attachment."""
    options = options or WireOptions()
    events: list[dict[str, Any]] = []
    text = message.text or ""
    if options.markdown and text:
        text = md_escape(text)
    if options.card_text and message.custom:
        details = card_details(message.custom, has_text=bool(message.text), markdown=options.markdown)
        text = "\n\n".join(p for p in (text, *details) if p)
    if message.buttons:
        events.append({
            "text": text or CHOOSE,
            "quick_replies": [{"content_type": "text", "title": b.title, "payload": b.payload} for b in message.buttons],
        })
    elif text:
        events.append({"text": text})
    if message.custom:
        events.append(dict(message.custom))
    if message.image:
        events.append({"attachment": {"type": "image", "payload": {"src": message.image}}})
    return events


# ---------------------------------------------------------------------------------------------- the channel


def _session_id(value: Any) -> str | None:
    """A usable session id: a non-empty string of at most 128 printable characters."""
    if isinstance(value, str) and 0 < len(value) <= MAX_SESSION_ID and value.isprintable() and value.strip():
        return value
    return None


def _room(session_id: str) -> str:
    return f"session:{session_id}"  # never equal to a socket id (each socket is a room of its own)


class SocketIOChannel:
    """The socket.io server of the channel; `asgi_app()` is what the FastAPI app mounts at /socket.io."""

    def __init__(
        self,
        dialogue: Callable[[], Any],
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        session_persistence: bool = True,
        namespace: str | None = None,
        metadata_key: str = "customData",
        cors_allowed_origins: list[str] | tuple[str, ...] = (),
        card_text: bool = True,
        markdown: bool = True,
    ):
        self.dialogue = dialogue  # returns the DialogueManager, or None while the app starts
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.session_persistence = session_persistence
        self.namespace = namespace or "/"
        self.metadata_key = metadata_key
        self.wire = WireOptions(card_text=card_text, markdown=markdown)
        self.origins = OriginPolicy(list(cors_allowed_origins))
        self.sio = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins=self.origins, cors_credentials=False,
            max_http_buffer_size=MAX_PACKET_BYTES, logger=False, engineio_logger=False,
        )
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self.sio.on("connect", self._connect, namespace=self.namespace)
        self.sio.on("disconnect", self._disconnect, namespace=self.namespace)
        self.sio.on("session_request", self._session_request, namespace=self.namespace)
        self.sio.on(user_message_evt, self._user_message, namespace=self.namespace)

    def asgi_app(self) -> socketio.ASGIApp:
        """The ASGI app to mount at /socket.io (it takes every request it is given)."""
        return socketio.ASGIApp(self.sio, socketio_path=None)

    # ---- events ---------------------------------------------------------------------------------
    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        log.debug("socket.io %s connected", sid)

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        log.debug("socket.io %s disconnected (%s)", sid, reason)

    async def _session_request(self, sid: str, data: Any = None) -> None:
        """Confirm the asked session id, or a new one; with persistence the socket joins that session."""
        asked = data.get("session_id") if isinstance(data, dict) else None
        session_id = _session_id(asked) or uuid.uuid4().hex
        if asked is not None and session_id != asked:
            log.info("socket.io %s asked for an unusable session id; gave a new one", sid)
        if self.session_persistence:
            async with self.sio.session(sid, namespace=self.namespace) as session:
                old = session.get("session_id")
                if old and old != session_id:
                    await self.sio.leave_room(sid, _room(old), namespace=self.namespace)
                session["session_id"] = session_id
            await self.sio.enter_room(sid, _room(session_id), namespace=self.namespace)
        await self.sio.emit("session_confirm", session_id, to=sid, namespace=self.namespace)

    async def _user_message(self, sid: str, data: Any = None) -> None:
        """Hand the message to the dialogue; send back its bot messages."""
        if not isinstance(data, dict):
            log.warning("socket.io %s: %s without an object ignored", sid, self.user_message_evt)
            return
        if self.session_persistence:
            sender = _session_id(data.get("session_id"))
            if sender is None:
                log.warning("socket.io %s: a message without a valid session_id was ignored; "
                            "send session_request first and put its session id into every message", sid)
                return
            session = await self.sio.get_session(sid, namespace=self.namespace)
            to = _room(sender) if session.get("session_id") == sender else sid
        else:
            sender, to = sid, sid
        text = data.get("message")
        if not isinstance(text, str) or not text:
            log.debug("socket.io %s: empty message ignored (no initPayload?)", sid)
            return
        metadata = _metadata(data.get(self.metadata_key))
        async with self._lock(sender):
            for event in await self._answer(sender, text, metadata):
                await self.sio.emit(self.bot_message_evt, event, to=to, namespace=self.namespace)

    async def _answer(self, sender: str, text: str, metadata: dict[str, Any] | None) -> list[dict[str, Any]]:
        dm = self.dialogue()
        if dm is None:
            return [{"text": STARTING}]
        try:
            result = await dm.handle(sender, text, channel=CHANNEL, metadata=metadata)
        except Exception:
            log.exception("socket.io: the dialogue failed for sender %s", sender)
            return [{"text": FAILED}]
        return [event for message in result.messages for event in to_events(message, self.wire)]

    # ---- staff replies ---------------------------------------------------------------------------
    @asynccontextmanager
    async def pushing(self, desk: HandoffDesk) -> AsyncIterator[None]:
        """While inside, push every new staff reply to its session's sockets (those of this process)."""
        cursor = await asyncio.to_thread(desk.last_reply_id)
        task = asyncio.create_task(self._push_loop(desk, cursor), name="socketio-staff-replies")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _push_loop(self, desk: HandoffDesk, cursor: int) -> None:
        while True:
            await asyncio.sleep(PUSH_INTERVAL_S)
            try:
                replies = await asyncio.to_thread(desk.replies_after, cursor)
            except Exception:  # noqa: BLE001 - a database hiccup: try again next time
                log.warning("socket.io: could not read staff replies", exc_info=True)
                continue
            for reply in replies:
                cursor = reply.id
                to = _room(reply.sender_id) if self.session_persistence else reply.sender_id
                async with self._lock(reply.sender_id):
                    for event in to_events(BotMessage.from_rasa(reply.to_wire()), self.wire):
                        await self.sio.emit(self.bot_message_evt, event, to=to, namespace=self.namespace)

    @asynccontextmanager
    async def _lock(self, sender: str) -> AsyncIterator[None]:
        """One answer at a time per sender, so the events of two answers never interleave; forgotten when unused."""
        lock = self._locks.setdefault(sender, asyncio.Lock())
        self._users[sender] = self._users.get(sender, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[sender] -= 1
            if not self._users[sender]:
                self._users.pop(sender, None)
                self._locks.pop(sender, None)


def _metadata(value: Any) -> dict[str, Any] | None:
    """customData as a dict (Rasa also accepts it as a JSON string)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict) and value else None


def mount(app: FastAPI, settings: Settings) -> SocketIOChannel:
    """Mount the socket.io channel at /socket.io (Rasa's socketio_path); its health route is `router`."""
    conf = SocketIOSettings()

    def dialogue() -> Any:
        services = app.state.services  # None until the app's services are started
        return services.dialogue if services is not None else None

    channel = SocketIOChannel(
        dialogue,
        user_message_evt=conf.user_message_evt,
        bot_message_evt=conf.bot_message_evt,
        session_persistence=conf.session_persistence,
        namespace=conf.namespace,
        metadata_key=conf.metadata_key,
        cors_allowed_origins=allowed_origins(settings, conf.cors_origins),
        card_text=conf.card_text,
        markdown=conf.markdown,
    )
    app.state.socketio = channel
    app.mount(MOUNT_PATH, channel.asgi_app(), name="socketio")
    return channel

"""Server-side staff sessions behind a signed cookie, with a per-session CSRF token.

The cookie carries only the session id, signed with settings.secret_key (itsdangerous); the session row
holds the user and the CSRF token every state-changing request must echo (form field or X-CSRF-Token).
Sessions end on logout, after IDLE without a request, after MAX_AGE in any case, and when the user is
disabled or changes password (all their sessions are dropped).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, delete, insert, select, update

from assistant.staff.db import staff_sessions
from knowledge.clock import Clock, as_utc, system_clock

COOKIE = "lingling_staff"
LOGIN_COOKIE = "lingling_staff_login"  # double-submit token of the login form (before any session)
IDLE = dt.timedelta(hours=2)
MAX_AGE = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    """A live staff session."""

    sid: str
    user_id: int
    csrf_token: str
    created_at: dt.datetime
    last_seen: dt.datetime


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


class SessionManager:
    """Creates, finds and ends sessions; signs and checks cookie values."""

    def __init__(self, engine: Engine, secret_key: str, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock
        self._signer = URLSafeTimedSerializer(secret_key, salt="lingling.staff.session")
        self._login_signer = URLSafeTimedSerializer(secret_key, salt="lingling.staff.login")

    # ---- cookie values ---------------------------------------------------------------------------------
    def cookie_value(self, session: Session) -> str:
        return self._signer.dumps(session.sid)

    def _sid(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            sid = self._signer.loads(cookie, max_age=int(MAX_AGE.total_seconds()))
        except BadSignature:
            return None
        return sid if isinstance(sid, str) else None

    def login_token(self) -> tuple[str, str]:
        """(token for the login form, signed cookie value carrying the same token)."""
        token = secrets.token_urlsafe(24)
        return token, self._login_signer.dumps(token)

    def login_token_ok(self, cookie: str | None, given: str | None) -> bool:
        """The login form's token matches its cookie (and the cookie is ours and under an hour old)."""
        if not cookie:
            return False
        try:
            token = self._login_signer.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        return isinstance(token, str) and tokens_match(given, token)

    # ---- sessions --------------------------------------------------------------------------------------
    def create(self, user_id: int, ip: str) -> Session:
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), user_id, secrets.token_urlsafe(32), now, now)
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.last_seen < now - MAX_AGE))
            conn.execute(insert(staff_sessions).values(
                sid=session.sid, user_id=user_id, csrf_token=session.csrf_token, created_at=now, last_seen=now, ip=ip[:64]))
        return session

    def find(self, cookie: str | None) -> Session | None:
        """The live session of a cookie value, touched; None when absent, forged, idle or too old."""
        sid = self._sid(cookie)
        if sid is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_sessions).where(staff_sessions.c.sid == sid)).first()
        if row is None:
            return None
        r = row._mapping
        session = Session(r["sid"], r["user_id"], r["csrf_token"], as_utc(r["created_at"]), as_utc(r["last_seen"]))
        now = self.clock()
        if now - session.last_seen > IDLE or now - session.created_at > MAX_AGE:
            self.end(session.sid)
            return None
        if now - session.last_seen > TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(staff_sessions).where(staff_sessions.c.sid == sid).values(last_seen=now))
        return session

    def end(self, sid: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.sid == sid))

    def end_all(self, user_id: int, keep: str | None = None) -> None:
        """Drop every session of a user (except `keep`)."""
        stmt = delete(staff_sessions).where(staff_sessions.c.user_id == user_id)
        if keep:
            stmt = stmt.where(staff_sessions.c.sid != keep)
        with self.engine.begin() as conn:
            conn.execute(stmt)

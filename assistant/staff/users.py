"""Staff accounts (argon2 password hashes, roles) and the login lock-out."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, and_, func, insert, select, update

from assistant.staff.db import staff_login_attempts, staff_users
from knowledge.clock import Clock, as_utc, system_clock

EDITOR, REVIEWER, AGENT, ADMIN = "editor", "reviewer", "agent", "admin"
ROLES = (EDITOR, REVIEWER, AGENT, ADMIN)
ROLE_LABELS = {EDITOR: "知识编辑", REVIEWER: "办件审核", AGENT: "咨询导服", ADMIN: "管理员"}
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8

# Lock-out: this many failures within the window lock the username (and, separately, the client IP).
MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCK = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that both cases take the same time. Made on the first login
# attempt (whichever the name), not at import: hashing takes ~0.2 s of the server's start-up.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("lingling-no-such-user")
    return _DUMMY_HASH


class UserError(ValueError):
    """A user operation is not allowed; `message` is shown to staff (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class User:
    """A staff account."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: dt.datetime

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def can(self, *roles: str) -> bool:
        """True for admins and for the listed roles (any active user when no role is listed)."""
        return self.active and (not roles or self.role == ADMIN or self.role in roles)


def _user(row: object) -> User:
    r = row._mapping  # type: ignore[attr-defined]
    return User(r["id"], r["username"], r["display_name"] or "", r["role"], bool(r["active"]), as_utc(r["created_at"]))


def check_password(password: str) -> None:
    """Refuse passwords staff should not use."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少需要 {MIN_PASSWORD} 位。")
    if len(password) > 256:
        raise UserError("密码过长。")


class UserStore:
    """Accounts in the staff_users table."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def create(self, username: str, password: str, role: str, display_name: str = "") -> User:
        """A new active account."""
        username = username.strip()
        if not USERNAME.match(username):
            raise UserError("用户名只能使用 2–64 位字母、数字、点、下划线或连字符。")
        if role not in ROLES:
            raise UserError("角色不正确。")
        check_password(password)
        if self.get_by_name(username) is not None:
            raise UserError(f"用户名 {username} 已存在。")
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(insert(staff_users).values(
                username=username, display_name=display_name.strip()[:64], role=role,
                password_hash=_hasher.hash(password), active=True, created_at=now, password_changed_at=now))
        user = self.get_by_name(username)
        assert user is not None
        return user

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def get_by_name(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username.strip())).first()
        return _user(row) if row is not None else None

    def all(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(staff_users).order_by(staff_users.c.username))]

    def count_admins(self) -> int:
        stmt = select(func.count()).select_from(staff_users).where(staff_users.c.role == ADMIN, staff_users.c.active)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def verify(self, username: str, password: str) -> User | None:
        """The active user with these credentials, else None (constant work whether or not the name exists)."""
        dummy = _dummy_hash()  # before the look-up: the first attempt does this extra work whether or not the name exists
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username.strip())).first()
        stored = row._mapping["password_hash"] if row is not None else dummy
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or not row._mapping["active"]:
            return None
        if _hasher.check_needs_rehash(stored):
            self._set_hash(row._mapping["id"], _hasher.hash(password))
        return _user(row)

    def _set_hash(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(staff_users).where(staff_users.c.id == user_id)
                         .values(password_hash=password_hash, password_changed_at=self.clock()))

    def set_password(self, user_id: int, password: str) -> None:
        check_password(password)
        self._set_hash(user_id, _hasher.hash(password))

    def update(self, user_id: int, role: str | None = None, active: bool | None = None,
               display_name: str | None = None) -> User:
        """Change role / active / display name; the last active admin cannot lose the role or be disabled."""
        user = self.get(user_id)
        if user is None:
            raise UserError("没有这个用户。")
        if role is not None and role not in ROLES:
            raise UserError("角色不正确。")
        demoted = (role is not None and role != ADMIN) or active is False
        if user.role == ADMIN and user.active and demoted and self.count_admins() <= 1:
            raise UserError("至少需要保留一名启用的管理员。")
        values: dict[str, object] = {}
        if role is not None:
            values["role"] = role
        if active is not None:
            values["active"] = active
        if display_name is not None:
            values["display_name"] = display_name.strip()[:64]
        if values:
            with self.engine.begin() as conn:
                conn.execute(update(staff_users).where(staff_users.c.id == user_id).values(**values))
        out = self.get(user_id)
        assert out is not None
        return out


@dataclass(frozen=True)
class Lock:
    """A lock-out in force."""

    until: dt.datetime
    by: str  # "username" or "ip"


class LoginGuard:
    """Counts failed logins per username and per client IP; 5 within 15 minutes lock for 15 minutes."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def record(self, username: str, ip: str, ok: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(staff_login_attempts).values(username=username[:64], ip=ip[:64], ok=ok, at=self.clock()))

    def _lock_for(self, column: str, value: str, now: dt.datetime) -> dt.datetime | None:
        col = staff_login_attempts.c[column]
        since = now - WINDOW - LOCK
        with self.engine.connect() as conn:
            last_ok = conn.execute(select(func.max(staff_login_attempts.c.at))
                                   .where(and_(col == value, staff_login_attempts.c.ok.is_(True)))).scalar()
            cond = and_(col == value, staff_login_attempts.c.ok.is_(False), staff_login_attempts.c.at >= since)
            if last_ok is not None:
                cond = and_(cond, staff_login_attempts.c.at > last_ok)
            fails = [as_utc(r[0]) for r in conn.execute(
                select(staff_login_attempts.c.at).where(cond).order_by(staff_login_attempts.c.at.desc()).limit(MAX_FAILURES))]
        if len(fails) < MAX_FAILURES or fails[0] - fails[-1] > WINDOW:
            return None
        until = fails[0] + LOCK
        return until if until > now else None

    def locked(self, username: str, ip: str) -> Lock | None:
        """The lock in force for this username or IP, if any."""
        now = self.clock()
        by_name = self._lock_for("username", username[:64], now) if username else None
        by_ip = self._lock_for("ip", ip[:64], now) if ip else None
        found = [Lock(t, who) for t, who in ((by_name, "username"), (by_ip, "ip")) if t is not None]
        return max(found, key=lambda lock: lock.until) if found else None

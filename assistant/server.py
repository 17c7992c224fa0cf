"""`lingling serve`: uvicorn with one or more worker processes."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from fastapi import FastAPI

from assistant.settings import Settings, SettingsError


def app_factory() -> FastAPI:
    """Entry point for uvicorn workers: settings come from LINGLING_* variables."""
    from assistant.app import create_app

    return create_app(Settings())


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn reads proxy headers: X-Forwarded-For / -Proto are trusted only from LINGLING_FORWARDED_ALLOW_IPS
    (the reverse proxies); with none configured, never (uvicorn's own default would trust 127.0.0.1 and
    FORWARDED_ALLOW_IPS)."""
    allow = ",".join(p for p in re.split(r"[,\s]+", settings.forwarded_allow_ips) if p)
    if not allow:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": allow}


def serve(settings: Settings, host: str | None = None, port: int | None = None, workers: int = 1) -> int:
    """Run the server until interrupted."""
    import uvicorn

    try:
        settings.check_serving()
    except SettingsError as exc:
        print(f"lingling serve: {exc}", file=sys.stderr)
        return 2

    host = host or settings.host
    port = port or settings.port
    os.environ["LINGLING_HOST"] = host
    os.environ["LINGLING_PORT"] = str(port)
    os.environ["LINGLING_DATA_DIR"] = str(settings.data_dir)
    if settings.knowledge_dir:
        os.environ["LINGLING_KNOWLEDGE_DIR"] = str(settings.knowledge_dir)
    os.environ.setdefault("LINGLING_ANNOUNCE", "1")
    os.environ["LINGLING_WORKERS"] = str(max(1, workers))  # assistant.ops: cross-worker sender locks
    # A server runs many requests at once: OpenMP threads spinning after each encode only steal CPU from the
    # event loop and the other workers (docs/benchmarks.md: 147 → 28 ms CPU per parse with 2 threads).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if workers > 1:  # the workers would race to create the tables of a fresh database (each upgrades at start too)
        from assistant.ops.migrate import prepare_database

        prepare_database(settings.db_url)
        import subprocess

        # Build a missing or stale index once, in a child process (its memory goes away with it).
        subprocess.run([sys.executable, "-m", "assistant.ops.warm"], check=True, timeout=3600)
    from assistant.security.timeouts import protocol_path

    # Slow clients are cut off: request headers within 10 s (the protocol's timer), bodies within 30 s
    # (assistant/security/timeouts.py); idle keep-alive connections after 5 s (uvicorn's default).
    uvicorn.run("assistant.server:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="warning", http=protocol_path(), timeout_keep_alive=5, **uvicorn_options(settings))
    return 0

"""An app served by uvicorn in a background thread on a free 127.0.0.1 port (browser and socket.io tests)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveApp:
    """One running app."""

    url: str
    app: Any
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def services(self) -> Any:
        """The app's services (assistant/services.py)."""
        return self.app.state.services

    @property
    def dialogue(self) -> Any:
        return self.services.dialogue

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve_in_thread(app: Any, timeout: float = 60.0, **config: Any) -> LiveApp:
    """Serve `app` (uvicorn.Config options in `config`); return once GET /health says ok, else RuntimeError."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           access_log=False, **config))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the app did not start (see the log above)")
        try:
            if httpx.get(f"{url}/health", timeout=2).json().get("status") == "ok":
                return LiveApp(url, app, server, thread)
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.05)
    server.should_exit = True
    raise RuntimeError(f"the app did not answer /health within {timeout:.0f} s at {url}")

"""The staff console's routes under /admin; `register(app, settings)` is listed in assistant/routes/more.py."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from assistant.settings import Settings
from assistant.staff import services
from assistant.staff.routes import account, analytics, editor, filings, inbox, knowledge, tools, transfer, users
from assistant.staff.web import install_handlers

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def register(app: FastAPI, settings: Settings) -> None:
    """Add the console: its routes, error answers, static files and start-up/shutdown hooks."""
    install_handlers(app)
    for module in (account, transfer, knowledge, editor, tools, filings, inbox, analytics, users):
        app.include_router(module.router)
    if not any(getattr(r, "path", None) == "/static" for r in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.startup_hooks.append(services.start)
    app.state.shutdown_hooks.append(services.stop)

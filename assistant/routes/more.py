"""Registry of the optional route modules: each exposes `register(app, settings)`.

Listed explicitly (no scanning) so the app's doors are visible in one place.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from assistant.settings import Settings

MODULES = (
    "actions.server",  # POST /webhook, GET /actions (rasa-sdk action server)
    "assistant.channels.rest",  # POST /webhooks/rest/webhook
    "assistant.routes.notices",  # GET /notices, /notices/{number}, PDF
    "assistant.routes.chat",  # portal chat API (/api/chat, feedback)
    "assistant.routes.pages",  # /, /widget.js, /kiosk
    "assistant.channels.socketio",  # /socket.io (Rasa's socket.io channel, rasa-webchat)
    "assistant.staff.routes",  # /admin (staff console)
    "assistant.privacy.routes",  # /admin/privacy (a person's conversation: export, delete), start-up purge
)


def register(app: FastAPI, settings: Settings) -> None:
    """Import and register every module that exists."""
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # the module (or its package) is not part of this installation
            raise
        module.register(app, settings)

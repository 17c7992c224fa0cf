"""Registry of the optional CLI modules: each exposes `register_cli(subparsers)`."""

from __future__ import annotations

import argparse
import importlib

MODULES = (
    "actions.cli",  # lingling reminders, lingling filings ..., lingling db upgrade
    "actions.serve",  # lingling actions --port 5055 (standalone rasa-sdk action server)
    "assistant.staff.cli",  # lingling admin create
    "assistant.ops.cli",  # lingling backup, lingling restore
    "assistant.privacy.cli",  # lingling purge, lingling privacy find|export|delete
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Import and register every module that exists."""
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # the module (or its package) is not part of this installation
            raise
        module.register_cli(sub)

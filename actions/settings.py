"""Where 灵灵 keeps its state: the data folder, the database and the YAML knowledge folder.

These are all the action server needs when it runs alone (`lingling actions`); the app's `Settings`
(assistant/settings.py) extends them, so both read the same LINGLING_* variables.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Self

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# POST /webhook's own body limit, on `lingling serve` and `lingling actions` alike: Rasa 3 sends the whole domain
# (23 KiB for ours) and the whole tracker (every event of the conversation, ~5 KiB more a turn) with each call; a
# 40-turn conversation's call measured 227 KiB with a real Rasa 3.6.21 (docs/benchmarks.md, "Side by side with
# Rasa"). 2 MiB holds ~350 turns; every other door keeps the app's 64 KiB (LINGLING_MAX_BODY_BYTES).
ACTION_BODY_BYTES = 2 * 1024 * 1024


class StateSettings(BaseSettings):
    """Configuration from environment variables (LINGLING_*) or keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="LINGLING_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="SQLite file, index and other state")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    knowledge_dir: Path | None = Field(default=None, description="YAML knowledge folder; default the demo")
    action_body_bytes: int = Field(default=ACTION_BODY_BYTES, ge=64 * 1024, description="largest POST /webhook body "
                                   "(a Rasa server sends its whole domain and tracker with every call)")
    nlu_url: str | None = Field(default=None, description="a 灵灵 NLU server (e.g. http://127.0.0.1:5005) the "
                                "standalone action server asks when a parse has no `retrieval` (Rasa's own NLU)")
    public_base_url: str = Field(
        default="", pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$",
        description="the address citizens reach 灵灵 at (https://host[/prefix]), used by QR codes and links (notices, "
        "the kiosk's hand-over to a phone) instead of the address the browser used; kiosks behind NAT, reverse proxies",
    )
    action_token: str | None = Field(default=None, description="the action server door's token (Rasa's "
                                     "action_endpoint.token, sent as ?token=); without it only direct loopback calls pass")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Self:
        """Settings from the environment, with the `lingling` command's --data-dir / --knowledge-dir on top."""
        overrides: dict[str, Any] = {}
        if getattr(args, "data_dir", None):
            overrides["data_dir"] = Path(args.data_dir)
        if getattr(args, "knowledge_dir", None):
            overrides["knowledge_dir"] = Path(args.knowledge_dir)
        return cls(**overrides)

    @property
    def public_base(self) -> str:
        """The public base URL without a trailing slash ('' when not set: links follow the request's host)."""
        return self.public_base_url.rstrip("/")

    @property
    def db_url(self) -> str:
        """The database URL in use."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'lingling.db').resolve()}"

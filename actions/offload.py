"""Blocking work off the event loop: database calls and rasa-sdk's synchronous actions run on a bounded pool of
threads of their own.

An asyncio server answers every request on one thread. A database call made there (a SQLite file locked by a
backup or a long write waits up to its 30 s busy timeout) stops every other request of the process — /health,
static files, parses. `Offload` runs such calls on its own threads instead, and `OffloadedExecutor` does so for
rasa-sdk's `ActionExecutor`, which calls synchronous actions (ours: the filing store) right on the event loop.
The threads are not the ones Starlette uses for static files and synchronous routes, so a locked database
occupies at most this pool: further calls wait for a thread without holding anything else.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult

P = ParamSpec("P")
T = TypeVar("T")
BLOCKING_THREADS = 16  # database calls (and actions) at once per process


class Offload:
    """A bounded pool of threads for blocking calls: `await offload(fn, *args)`; `close()` at the end."""

    def __init__(self, workers: int = BLOCKING_THREADS, name: str = "blocking"):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on a pool thread (with the caller's context variables: request id, path)."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class OffloadedExecutor(ActionExecutor):
    """rasa-sdk's ActionExecutor running each action on an Offload thread, in a short event loop of its own
    (an async action works there too). Streaming calls (`sink`) stay on the caller's loop."""

    def __init__(self, offload: Offload):
        super().__init__()
        self.offload = offload

    async def run(self, action_call: dict[str, Any], sink: asyncio.Queue[Any] | None = None,
                  dispatcher: Any = None) -> ActionExecutorRunResult | None:
        if sink is not None or dispatcher is not None:
            return await super().run(action_call, sink, dispatcher)
        return await self.offload(self._run_here, action_call)

    def _run_here(self, action_call: dict[str, Any]) -> ActionExecutorRunResult | None:
        return asyncio.run(ActionExecutor.run(self, action_call))

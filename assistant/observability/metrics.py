"""Prometheus metrics (prometheus-client), served at GET /metrics.

Per process: request counts and latency histograms per route template and status, chat messages per channel,
NLU fallbacks and out_of_scope per channel, intents, rate-limited requests. Filings submitted by kind are read
from the database at scrape time (filings are never deleted, so the count only grows: a true counter, and the
same whichever worker answers).

Several worker processes (`lingling serve --workers N`): each worker keeps its own counters and a scrape reaches
one of them. For whole-server figures start the server with PROMETHEUS_MULTIPROC_DIR set to an empty folder
(prometheus-client's multiprocess mode); /metrics then adds up every worker's files.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
KNOWN_CHANNELS = frozenset({"rest", "web", "kiosk", "socketio", "hittest"})

HTTP_REQUESTS = Counter("lingling_http_requests", "HTTP requests answered, by method, route template and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("lingling_http_request_duration_seconds", "Time to answer HTTP requests, by route template",
                         ["method", "route"], buckets=LATENCY_BUCKETS)
MESSAGES = Counter("lingling_messages", "Chat messages handled by the dialogue, by channel", ["channel"])
NLU_FALLBACKS = Counter("lingling_nlu_fallbacks", "Messages 灵灵 could not answer (fallback), by channel", ["channel"])
NLU_OUT_OF_SCOPE = Counter("lingling_nlu_out_of_scope", "Messages understood as out_of_scope, by channel", ["channel"])
NLU_INTENTS = Counter("lingling_nlu_intents", "Messages by understood intent", ["intent"])
HANDOFFS = Counter("lingling_handoffs", "Messages that ended in a hand-over to staff, by channel", ["channel"])
RATE_LIMITED = Counter("lingling_rate_limited", "Requests refused by a rate limit, by door and limit", ["door", "limit"])


@functools.cache
def known_intents() -> frozenset[str]:
    """Intent label values (anything else counts as "other": payloads may name any intent)."""
    from nlu.pipeline import CONTRACT_INTENTS

    return frozenset(CONTRACT_INTENTS) | {"ask_faq", "inform", "correct", "restart", "nlu_fallback"}


def channel_label(channel: str) -> str:
    return channel if channel in KNOWN_CHANNELS else "other"


def observe_turn(turn: Any) -> None:
    """A TurnLog listener: count one recorded turn (an `assistant.dialogue.turns.TurnRecord`)."""
    channel = channel_label(str(turn.channel))
    if channel == "hittest":  # staff's hit test, not a citizen's message
        return
    MESSAGES.labels(channel).inc()
    if turn.fallback:
        NLU_FALLBACKS.labels(channel).inc()
    if turn.intent == "out_of_scope":
        NLU_OUT_OF_SCOPE.labels(channel).inc()
    if turn.handoff:
        HANDOFFS.labels(channel).inc()
    if turn.intent:
        NLU_INTENTS.labels(turn.intent if turn.intent in known_intents() else "other").inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def observe_rate_limited(door: str, limit: str) -> None:
    RATE_LIMITED.labels(door, limit).inc()


class FilingsCollector(Collector):
    """lingling_filings_submitted_total{kind} from the filings table of one app's database."""

    def __init__(self, engine_of: Any):
        self.engine_of = engine_of  # () -> SQLAlchemy Engine or None

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("lingling_filings_submitted", "Filings submitted (all time), by kind", labels=["kind"])
        engine = self.engine_of()
        if engine is not None:
            try:
                from sqlalchemy import func, select

                from actions.filings.tables import Filing

                with engine.connect() as conn:
                    for kind, n in conn.execute(select(Filing.kind, func.count()).group_by(Filing.kind)):
                        family.add_metric([str(kind)], float(n))
            except Exception:  # noqa: BLE001 - no filings table (yet) or the database is down: no figures
                pass
        yield family


class _Combined:
    """What generate_latest reads: the process's (or all workers') metrics plus the app's own collectors."""

    def __init__(self, *sources: Any):
        self.sources = sources

    def collect(self) -> Iterator[Any]:
        for source in self.sources:
            yield from source.collect()


def exposition(app_collectors: list[Collector]) -> tuple[bytes, str]:
    """The text exposition of every metric, and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        base: Any = registry
    else:
        base = REGISTRY
    return generate_latest(_Combined(base, *app_collectors)), CONTENT_TYPE_LATEST  # type: ignore[arg-type]


def mark_process_dead() -> None:
    """Multiprocess mode: drop this worker's live gauges when it stops."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def monotonic() -> float:
    return time.perf_counter()

"""Every public door, fuzzed from its OpenAPI schema with schemathesis's Python API (in process over ASGI):
no answer is a 5xx, whatever the input.

Bounded: MAX_EXAMPLES examples per operation and generation mode (data that fits the schema, and data that
violates it). One test per operation; the operations are read from the app's schema at collection time
(`create_app` builds nothing at import, so this is cheap).

(schemathesis's pytest plugin, `schema.parametrize()` with `from_fixture`, does not run under pytest 9, whose
nodes lost `_nodeid`; hence `as_strategy` with hypothesis's `@given`.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

MAX_EXAMPLES = 30
# Doors the brief names; the schema must offer them (so a route dropped from the schema is noticed).
PUBLIC_DOORS = {
    "POST /model/parse", "POST /webhooks/rest/webhook", "POST /webhook", "POST /api/chat", "POST /api/feedback",
    "POST /api/reset", "GET /notices", "GET /api/history",
}


def _operations() -> list[str]:
    from assistant.app import create_app
    from assistant.settings import Settings

    paths = create_app(Settings(env="test")).openapi()["paths"]
    methods = ("get", "post", "put", "patch", "delete")
    return sorted(f"{m.upper()} {path}" for path, ops in paths.items() for m in ops if m in methods)


OPERATIONS = _operations()


@pytest.fixture(scope="session")
def api_schema(build_app: Callable[..., Any]) -> Iterator[Any]:
    app = build_app(rate_limit=False)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()  # the app's shutdown hooks: database connections closed


def test_schema_lists_every_public_door() -> None:
    assert PUBLIC_DOORS <= set(OPERATIONS), PUBLIC_DOORS - set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_server_errors(api_schema: Any, label: str, mode: GenerationMode) -> None:
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    seen: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def run(case: Any) -> None:
        response = case.call()
        seen.append(str(response.status_code))
        assert response.status_code < 500, f"{label} answered {response.status_code}: {response.text[:500]}\n{case.as_curl_command()}"

    try:
        run()
    except Unsatisfiable:
        # Nothing in the operation can violate its schema (no parameters, or only free strings): no negative data.
        assert mode is GenerationMode.NEGATIVE and not seen
        return
    assert seen

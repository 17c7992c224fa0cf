"""Request hardening of the web app: body-size limit, rate limits, CORS and security headers.

`install(app, settings)` and, after the observability middleware, `install_headers(app, settings)` are called by
`assistant.app.create_app` once every route module registered. From the outside in: security headers → request
observer (assistant.observability) → CORS → body deadline (assistant/security/timeouts.py) → body-size limit →
input hygiene (assistant/security/hygiene.py:
what no layer below can take is refused with a 4xx; the same check guards socket.io) → action-door checks →
rate limits → the app.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from assistant.channels.socketio import SocketIOChannel
from assistant.security.actioncall import ActionDoor
from assistant.security.body import BodySizeLimit
from assistant.security.cors import DEV_ORIGINS, CorsMiddleware, Origins, split_origins
from assistant.security.headers import SecurityHeaders
from assistant.security.hygiene import InputHygiene, guard_socketio
from assistant.security.ratelimit import Rate, RateLimiter, RateLimitMiddleware, limit_socketio
from assistant.security.timeouts import BodyDeadline
from assistant.settings import Environment, Settings

log = logging.getLogger(__name__)


def portal_origins(settings: Settings) -> list[str]:
    """LINGLING_CORS_ORIGINS, plus loopback pages outside production."""
    origins = split_origins(settings.cors_origins)
    if settings.env is not Environment.PRODUCTION:
        origins += DEV_ORIGINS
    return origins


def install(app: FastAPI, settings: Settings, channel: SocketIOChannel) -> RateLimiter:
    """Add the middlewares to `app` (and the rate limit and origins to the socket.io channel); returns the limiter."""
    origins = Origins(portal_origins(settings))
    limiter = RateLimiter(Rate(settings.rate_ip_per_minute, settings.rate_ip_burst),
                          Rate(settings.rate_sender_per_minute, settings.rate_sender_burst), settings.rate_exempt)
    if settings.rate_limit:
        app.add_middleware(RateLimitMiddleware, limiter=limiter)  # type: ignore[arg-type]
    app.add_middleware(ActionDoor, token=settings.action_token)  # type: ignore[arg-type]
    app.add_middleware(InputHygiene)  # type: ignore[arg-type]
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, admin_limit=settings.max_upload_bytes,  # type: ignore[arg-type]
                       overrides={"/webhook": settings.action_body_bytes})  # Rasa's domain + tracker (actions/settings.py)
    app.add_middleware(BodyDeadline)  # type: ignore[arg-type]
    app.add_middleware(CorsMiddleware, origins=origins)  # type: ignore[arg-type]
    policy = channel.origins  # the socket.io channel's OriginPolicy: the same portals
    policy.exact |= origins.exact
    policy.any_port |= origins.any_port
    policy.everyone = policy.everyone or origins.everyone
    if not guard_socketio(channel):
        log.warning("socket.io channel found but its message handler could not be guarded")
    if settings.rate_limit and not limit_socketio(channel, limiter):
        log.warning("socket.io channel found but its message handler could not be rate limited")
    return limiter


def install_headers(app: FastAPI, settings: Settings) -> None:
    """Add the security-headers middleware (call last: it must wrap every other answer, 429/413/500 included)."""
    portals = Origins(split_origins(settings.cors_origins)).listed
    hsts = settings.hsts or bool(getattr(settings, "tls", False))  # LINGLING_HSTS, or LINGLING_TLS (served over HTTPS)
    from assistant.routes.pages import CSP_EXEMPT, OWN_ANCESTORS, content_security_policy

    app.add_middleware(SecurityHeaders, hsts=hsts, portals=portals,  # type: ignore[arg-type]
                       default_csp=content_security_policy(OWN_ANCESTORS), csp_exempt=CSP_EXEMPT)

"""The app's error hierarchy: `message` for users (Chinese), `detail` for staff and developers.

Plain exceptions, so the dialogue may raise them without knowing the web; assistant/http_errors.py is the one
place where every error family becomes an HTTP answer."""

from __future__ import annotations


class AppError(Exception):
    """Base of errors the web app turns into answers; `message` is shown to users (Chinese)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, detail: str = ""):
        super().__init__(detail or message)
        self.message = message  # for users, Simplified Chinese
        self.detail = detail  # for staff and developers


class BadInput(AppError):
    """The request is well-formed JSON but its content is unusable."""

    status = 422
    code = "bad_input"


class TooLarge(AppError):
    """The message or body exceeds the size limit."""

    status = 413
    code = "too_large"


class Unavailable(AppError):
    """A dependency (database, index) is down; try again shortly."""

    status = 503
    code = "unavailable"

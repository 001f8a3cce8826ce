"""The exception hierarchy: one class per error code, all under FanioError.

Defined in Python so the classes pickle and subclass builtins naturally; the native
module looks a class up in BY_CODE when the core reports an error.
"""

from __future__ import annotations

import builtins


class FanioError(Exception):
    """Base of every fanio error; ``.code`` is the stable code (``E_...``)."""

    code: str = "E_FAILED"

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or type(self).code


class InvalidArgument(FanioError, ValueError):
    """Bad input from the caller; nothing was started."""

    code = "E_INVALID_ARGUMENT"


class TimeoutError(FanioError, builtins.TimeoutError):
    """An op, phase or deadline ran out."""

    code = "E_TIMEOUT"


class Cancelled(FanioError):
    """Cancelled by fail-fast, a deadline, or close."""

    code = "E_CANCELLED"


class ClosedError(FanioError):
    """The client or database was closed."""

    code = "E_CLOSED"


BY_CODE: dict[str, type[FanioError]] = {
    cls.code: cls for cls in (FanioError, InvalidArgument, TimeoutError, Cancelled, ClosedError)
}

"""The exception hierarchy: one class per error code, all under FanioError.

Defined in Python so the classes pickle and subclass builtins naturally; the native
module calls ``make`` when the core reports an error, passing the structured fields
(``status``, ``url``, ``phase``, ``sqlstate``, ...) that become attributes.
"""

from __future__ import annotations

import builtins
from typing import Any


class FanioError(Exception):
    """Base of every fanio error; ``.code`` is the stable code (``E_...``).

    Structured details of the failure (``status``, ``url``, ``phase``, ``attempts``,
    ``sqlstate``, ...) are attributes, listed by name in ``.fields``.
    """

    code: str = "E_FAILED"

    def __init__(self, message: str = "", code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.code = code or type(self).code
        self.fields: dict[str, Any] = fields
        for name, value in fields.items():
            setattr(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.code, self.fields))


def _rebuild(cls: type[FanioError], message: str, code: str, fields: dict[str, Any]) -> FanioError:
    return cls(message, code, **fields)


class InvalidArgument(FanioError, ValueError, TypeError):
    """Bad input from the caller; nothing was started. A ValueError, and a TypeError
    too, so code written for asyncio (which raises TypeError for a non-awaitable) and
    for bad values both catch it."""

    code = "E_INVALID_ARGUMENT"


class TimeoutError(FanioError, builtins.TimeoutError):
    """An op, phase or deadline ran out (``.phase`` says which, for HTTP)."""

    code = "E_TIMEOUT"


class Cancelled(FanioError):
    """Cancelled by fail-fast, a deadline, or close."""

    code = "E_CANCELLED"


class ClosedError(FanioError):
    """The client or database was closed."""

    code = "E_CLOSED"


class ConnectError(FanioError, builtins.ConnectionError):
    """Could not connect (refused, DNS, unreachable)."""

    code = "E_CONNECT"


class TlsError(FanioError):
    """A certificate or handshake failure."""

    code = "E_TLS"


class HttpStatusError(FanioError):
    """A 4xx/5xx response where errors on status were asked for (``.status``, ``.url``)."""

    code = "E_HTTP_STATUS"


class ProtocolError(FanioError):
    """A malformed response, or the connection was reset mid-body."""

    code = "E_PROTOCOL"


class DecodeError(FanioError):
    """A body or value could not be decoded (bad gzip, bad JSON, bad charset)."""

    code = "E_DECODE"


class BodyTooLarge(FanioError):
    """The response exceeded the configured maximum size."""

    code = "E_BODY_TOO_LARGE"


class DatabaseError(FanioError):
    """An error reported by the database (``.sqlstate`` on Postgres, ``.sqlite_code`` on SQLite).

    The details the server gives are attributes; those it did not give are None.
    """

    code = "E_DB"
    sqlstate: str | None = None
    constraint: str | None = None
    table: str | None = None
    column: str | None = None
    detail: str | None = None


class IntegrityError(DatabaseError):
    """A constraint violation (unique, foreign key, not null, check): SQLSTATE class 23
    on Postgres, SQLITE_CONSTRAINT (extended code & 0xff == 19) on SQLite."""


class PoolTimeout(TimeoutError):
    """No connection of the pool was free in time."""

    code = "E_POOL_TIMEOUT"


class NoRows(FanioError):
    """``fetch_one`` found no row."""

    code = "E_NO_ROWS"


BY_CODE: dict[str, type[FanioError]] = {
    cls.code: cls
    for cls in (
        FanioError,
        InvalidArgument,
        TimeoutError,
        Cancelled,
        ClosedError,
        ConnectError,
        TlsError,
        HttpStatusError,
        ProtocolError,
        DecodeError,
        BodyTooLarge,
        DatabaseError,
        PoolTimeout,
        NoRows,
    )
}


def make(code: str, message: str, fields: dict[str, Any] | None = None) -> FanioError:
    """The exception of a core error: the class of its code, refined by its fields."""
    cls = BY_CODE.get(code, FanioError)
    fields = fields or {}
    if cls is DatabaseError and _is_integrity(fields):
        cls = IntegrityError
    return cls(message, code, **fields)


# SQLite's primary result code SQLITE_CONSTRAINT, the low byte of its extended codes.
_SQLITE_CONSTRAINT = 19


def _is_integrity(fields: dict[str, Any]) -> bool:
    """A constraint violation: SQLSTATE class 23 (Postgres) or SQLITE_CONSTRAINT."""
    sqlite_code = fields.get("sqlite_code")
    if isinstance(sqlite_code, int):
        return sqlite_code & 0xFF == _SQLITE_CONSTRAINT
    return str(fields.get("sqlstate", "")).startswith("23")

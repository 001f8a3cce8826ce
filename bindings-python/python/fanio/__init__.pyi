"""fanio: concurrent I/O from one Rust core, with bounded fan-out and settled results."""

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar, overload

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)
_E_co = TypeVar("_E_co", bound=BaseException, covariant=True)

ProgressCallback = Callable[[int, int], object]

class FanioError(Exception):
    """Base of every fanio error; ``.code`` is its stable code. Structured details
    (``status``, ``url``, ``phase``, ``attempts``, ``sqlstate``, ...) are attributes,
    listed in ``.fields``."""

    code: str
    fields: dict[str, Any]
    def __init__(self, message: str = "", code: str | None = None, **fields: Any) -> None: ...
    def __getattr__(self, name: str) -> Any: ...

class InvalidArgument(FanioError, ValueError):
    """E_INVALID_ARGUMENT: bad input from the caller; nothing was started."""

class TimeoutError(FanioError, builtins.TimeoutError):
    """E_TIMEOUT: an op, phase or deadline ran out (``.phase`` for HTTP)."""

class Cancelled(FanioError):
    """E_CANCELLED: cancelled by fail-fast, a deadline, or close."""

class ClosedError(FanioError):
    """E_CLOSED: the client or database was closed."""

class ConnectError(FanioError, builtins.ConnectionError):
    """E_CONNECT: could not connect (refused, DNS, unreachable)."""

class TlsError(FanioError):
    """E_TLS: a certificate or handshake failure."""

class HttpStatusError(FanioError):
    """E_HTTP_STATUS: a 4xx/5xx response where errors on status were asked for."""

    status: int
    url: str

class ProtocolError(FanioError):
    """E_PROTOCOL: a malformed response, or the connection was reset mid-body."""

class DecodeError(FanioError):
    """E_DECODE: a body or value could not be decoded."""

class BodyTooLarge(FanioError):
    """E_BODY_TOO_LARGE: the response exceeded the configured maximum size."""

class DatabaseError(FanioError):
    """E_DB: an error reported by the database."""

class IntegrityError(DatabaseError):
    """E_DB with a SQLSTATE of class 23 (unique, foreign key, not null, check)."""

class PoolTimeout(TimeoutError):
    """E_POOL_TIMEOUT: no connection of the pool was free in time."""

class NoRows(FanioError):
    """E_NO_ROWS: ``fetch_one`` found no row."""

class Op(Generic[_T_co]):
    """A lazy native operation: nothing runs until it is awaited or settled, and it runs
    at most once (awaiting it again gives the same outcome)."""

    def __await__(self) -> Generator[Any, None, _T_co]: ...
    def _start(self, bridge: Any, fut: Any) -> Any: ...
    def _settle(self, code: str) -> None: ...

class Fulfilled(Generic[_T_co]):
    """An op that ended with a value."""

    __match_args__: ClassVar[tuple[Literal["value"]]]
    def __init__(self, value: _T_co) -> None: ...
    @property
    def value(self) -> _T_co: ...
    @property
    def status(self) -> Literal["fulfilled"]: ...

class Rejected(Generic[_E_co]):
    """An op that ended with an error."""

    __match_args__: ClassVar[tuple[Literal["error"]]]
    def __init__(self, error: _E_co) -> None: ...
    @property
    def error(self) -> _E_co: ...
    @property
    def status(self) -> Literal["rejected"]: ...

Outcome = Fulfilled[_T] | Rejected[BaseException]

@overload
def sleep(seconds: float) -> Op[None]: ...
@overload
def sleep(seconds: float, value: _T) -> Op[_T]: ...
def fail(seconds: float, message: str) -> Op[Any]:
    """An op that rejects with FanioError(message), code E_FAILED, after `seconds`."""

def op_stats() -> dict[str, int]:
    """``{"running": n, "peak": m}``: native op futures alive now, and the most at once
    since the last ``reset_op_stats()``."""

def reset_op_stats() -> None: ...
async def settle(
    aws: Iterable[Awaitable[_T]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[Fulfilled[_T] | Rejected[BaseException]]:
    """Runs every awaitable with at most `limit` in flight and `rate` starts per second;
    returns one outcome per item, in input order. Durations are in seconds."""

async def gather(
    *aws: Awaitable[_T],
    limit: int | None = None,
    return_exceptions: bool = False,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[_T]:
    """asyncio.gather with a limit. Without return_exceptions, the first error is raised
    and everything still running is cancelled (asyncio.gather would leave it running)."""

def as_settled(
    aws: Iterable[Awaitable[_T]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[tuple[int, Fulfilled[_T] | Rejected[BaseException]]]:
    """Yields ``(index, outcome)`` as items complete. `aws` is pulled lazily; no new item
    starts while more than `limit` outcomes wait unread."""

__all__: Final[list[str]]

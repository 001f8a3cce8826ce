"""fanio: concurrent I/O from one Rust core, with bounded fan-out and settled results."""

import builtins
import datetime
import decimal
import ipaddress
import os
import uuid
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar, overload

_T = TypeVar("_T")
_T1 = TypeVar("_T1")
_T2 = TypeVar("_T2")
_T3 = TypeVar("_T3")
_T4 = TypeVar("_T4")
_T5 = TypeVar("_T5")
_T6 = TypeVar("_T6")
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

class InvalidArgument(FanioError, ValueError, TypeError):
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
    """E_DB: an error reported by the database. Postgres fills ``sqlstate`` and what the
    server said (``constraint``, ``table``, ``column``, ``detail``; None when not given);
    SQLite sets ``sqlite_code`` (the extended result code) and ``sqlite_name``."""

    sqlstate: str | None
    constraint: str | None
    table: str | None
    column: str | None
    detail: str | None

class IntegrityError(DatabaseError):
    """E_DB for a constraint violation: SQLSTATE class 23 on Postgres, SQLITE_CONSTRAINT
    (``sqlite_code & 0xff == 19``) on SQLite."""

class PoolTimeout(TimeoutError):
    """E_POOL_TIMEOUT: no connection of the pool was free in time."""

class NoRows(FanioError):
    """E_NO_ROWS: ``fetch_one`` found no row."""

class Op(Awaitable[_T_co]):
    """A lazy native operation: nothing runs until it is awaited or settled, and it runs
    at most once (awaiting it again gives the same outcome)."""

    def __await__(self) -> Generator[Any, None, _T_co]: ...
    def _start(self, bridge: Any, fut: Any) -> Any: ...
    def _hand_over(self) -> None: ...

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
@overload
async def settle(
    aws: Iterable[Op[_T]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[Fulfilled[_T] | Rejected[FanioError]]:
    """Runs every awaitable with at most `limit` in flight and `rate` starts per second;
    returns one outcome per item, in input order. Durations are in seconds.

    A batch of fanio ops only (HTTP requests, queries, ``sleep``, ``fail``, mixed as you
    like) rejects only with FanioErrors, so ``outcome.error.code`` type-checks; a batch
    holding any other awaitable may reject with whatever that awaitable raises."""

@overload
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
) -> list[Fulfilled[_T] | Rejected[BaseException]]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[_T1],
    /,
    *,
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1]:
    """asyncio.gather with a limit. Without return_exceptions, the first error is raised
    and everything still running is cancelled (asyncio.gather would leave it running).
    Typed as typeshed types asyncio.gather: a tuple for up to six awaitables (the value
    is a list, as asyncio.gather's is), a list beyond."""

@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    /,
    *,
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1, _T2]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    /,
    *,
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1, _T2, _T3]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    aw4: Awaitable[_T4],
    /,
    *,
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1, _T2, _T3, _T4]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    aw4: Awaitable[_T4],
    aw5: Awaitable[_T5],
    /,
    *,
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1, _T2, _T3, _T4, _T5]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    aw4: Awaitable[_T4],
    aw5: Awaitable[_T5],
    aw6: Awaitable[_T6],
    /,
    *,
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1, _T2, _T3, _T4, _T5, _T6]: ...
@overload
async def gather(  # type: ignore[overload-overlap]
    *aws: Awaitable[_T],
    return_exceptions: Literal[False] = False,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[_T]: ...
@overload
async def gather(
    aw1: Awaitable[_T1],
    /,
    *,
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    /,
    *,
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1 | BaseException, _T2 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    /,
    *,
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1 | BaseException, _T2 | BaseException, _T3 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    aw4: Awaitable[_T4],
    /,
    *,
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1 | BaseException, _T2 | BaseException, _T3 | BaseException, _T4 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    aw4: Awaitable[_T4],
    aw5: Awaitable[_T5],
    /,
    *,
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[_T1 | BaseException, _T2 | BaseException, _T3 | BaseException, _T4 | BaseException, _T5 | BaseException]: ...
@overload
async def gather(
    aw1: Awaitable[_T1],
    aw2: Awaitable[_T2],
    aw3: Awaitable[_T3],
    aw4: Awaitable[_T4],
    aw5: Awaitable[_T5],
    aw6: Awaitable[_T6],
    /,
    *,
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[
    _T1 | BaseException,
    _T2 | BaseException,
    _T3 | BaseException,
    _T4 | BaseException,
    _T5 | BaseException,
    _T6 | BaseException,
]: ...
@overload
async def gather(
    *aws: Awaitable[_T],
    return_exceptions: bool,
    limit: int | None = None,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[_T | BaseException]: ...
@overload
def as_settled(
    aws: Iterable[Op[_T]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[tuple[int, Fulfilled[_T] | Rejected[FanioError]]]:
    """Yields ``(index, outcome)`` as items complete. `aws` is pulled lazily; no new item
    starts while more than `limit` outcomes wait unread. Fanio ops reject only with
    FanioErrors, as in ``settle``."""

@overload
def as_settled(
    aws: Iterable[Awaitable[_T]] | AsyncIterable[Awaitable[_T]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[tuple[int, Fulfilled[_T] | Rejected[BaseException]]]: ...

# --- databases ---------------------------------------------------------------------

Param = (
    None
    | bool
    | int
    | float
    | str
    | bytes
    | bytearray
    | decimal.Decimal
    | uuid.UUID
    | datetime.date
    | datetime.time
    | datetime.timedelta
    | ipaddress.IPv4Address
    | ipaddress.IPv6Address
    | ipaddress.IPv4Interface
    | ipaddress.IPv6Interface
    | ipaddress.IPv4Network
    | ipaddress.IPv6Network
    | dict[str, Any]
    | Sequence[Any]
)
"""A value a parameter can take: dicts are JSON, lists (nested) are arrays."""
Params = Sequence[Param] | Mapping[str, Param] | None
"""Positional (``$1`` / ``?``) or, for SQLite, named (``:name``)."""
Isolation = Literal["read_committed", "repeatable_read", "serializable"]

class Record:
    """One result row, read like asyncpg's Record: by column name or position,
    ``keys()`` / ``values()`` / ``items()``, iteration over values, ``dict(rec)``."""

    @overload
    def __getitem__(self, key: str | int) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __contains__(self, name: object) -> bool: ...
    def __hash__(self) -> int: ...
    def get(self, key: str | int, default: Any = None) -> Any: ...
    def keys(self) -> Iterator[str]: ...
    def values(self) -> Iterator[Any]: ...
    def items(self) -> Iterator[tuple[str, Any]]: ...

class _Queries:
    def execute(self, sql: str, params: Params = None) -> Op[int]:
        """Runs a statement; resolves to the rows affected."""
    def fetch_all(self, sql: str, params: Params = None) -> Op[list[Record]]: ...
    def fetch_one(self, sql: str, params: Params = None) -> Op[Record]:
        """The first row; NoRows if there is none."""
    def fetch_optional(self, sql: str, params: Params = None) -> Op[Record | None]: ...
    def fetch_val(self, sql: str, params: Params = None) -> Op[Any]:
        """The first column of the first row; NoRows if there is none."""
    def execute_many(self, sql: str, seq_of_params: Iterable[Sequence[Param]]) -> Op[int]:
        """Runs ``sql`` once per parameter sequence, in one transaction; the rows affected.
        On Postgres a plain ``INSERT ... VALUES ($1, ...)`` is sent as multi-row INSERTs.
        Every value is checked before anything is sent; a failure names its ``row``."""
    def copy_records(self, table: str, records: Iterable[Sequence[Param]], *, columns: Sequence[str]) -> Op[int]:
        """Loads rows into ``table`` (COPY on Postgres); the rows loaded. The rows are
        converted while the load runs: a bad value raises InvalidArgument (with ``row``
        and ``index``) on await, and nothing is loaded."""

class Transaction(_Queries):
    """An open transaction on a connection of its own (see ``Database.transaction``)."""

    def commit(self) -> Op[None]: ...
    def rollback(self) -> Op[None]: ...

class TransactionContext:
    async def __aenter__(self) -> Transaction: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

class Database(_Queries):
    """A pool of connections to PostgreSQL or SQLite. ``async with db:`` closes it."""

    def transaction(self, isolation: Isolation | None = None, read_only: bool = False) -> TransactionContext:
        """Begins on enter, commits on a clean exit, rolls back on an exception or a
        cancellation of the task."""
    def close(self) -> Op[None]: ...
    @property
    def closed(self) -> bool: ...
    async def __aenter__(self) -> Database: ...
    def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Op[None]: ...

def connect(
    url: str,
    *,
    max_connections: int | None = None,
    min_connections: int | None = None,
    acquire_timeout: float | None = None,
    statement_cache_size: int | None = None,
) -> Op[Database]:
    """Opens ``postgres://user:pass@host:port/db``, ``sqlite:///abs/path.db``,
    ``sqlite://relative.db`` or ``sqlite::memory:``. A bad URL or option raises
    InvalidArgument at once; ``acquire_timeout`` is in seconds."""

# --- HTTP ---

_Pairs = Mapping[str, Any] | Sequence[tuple[str, Any]]
"""Query params and form fields: a mapping (a list value repeats the name) or pairs;
values are str, int, float or bool."""
_HeaderPairs = Mapping[str, str] | Sequence[tuple[str, str]]
_Content = bytes | bytearray | memoryview | str
_Request = str | Mapping[str, Any]
"""An item of ``fetch_all``: a URL, or a dict with ``url`` and optionally ``method``,
``params``, ``headers``, ``json``, ``form``, ``content``, ``timeout`` and
``error_for_status``."""

class Retry:
    """How a client retries: ``attempts`` tries in all, waits of ``backoff`` seconds
    doubled each time up to ``backoff_max`` (with equal jitter), on the statuses of
    ``on_status``, on connect errors, honouring Retry-After; only ``methods`` (None:
    the idempotent ones) are retried. Frozen; ranges are checked by ``Client``."""

    def __init__(
        self,
        attempts: int = 3,
        backoff: float = 0.1,
        backoff_max: float = 10.0,
        jitter: bool = True,
        on_status: Iterable[int] = frozenset({429, 502, 503, 504}),
        on_connect_error: bool = True,
        respect_retry_after: bool = True,
        methods: Iterable[str] | None = None,
    ) -> None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def backoff(self) -> float: ...
    @property
    def backoff_max(self) -> float: ...
    @property
    def jitter(self) -> bool: ...
    @property
    def on_status(self) -> frozenset[int]: ...
    @property
    def on_connect_error(self) -> bool: ...
    @property
    def respect_retry_after(self) -> bool: ...
    @property
    def methods(self) -> frozenset[str] | None: ...
    def __hash__(self) -> int: ...

class Headers(Mapping[str, str]):
    """Response headers: read-only, case-insensitive. A repeated header maps to its
    values joined with ``", "``; ``get_all`` gives them one by one. Iteration yields
    lower-case names, each once."""

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None: ...
    def __getitem__(self, name: str) -> str: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def get_all(self, name: str) -> list[str]: ...

class Response:
    """An HTTP response; any status is a response unless errors on status were asked for."""

    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def http_version(self) -> str: ...
    @property
    def url(self) -> str:
        """The final URL, after redirects."""
    @property
    def elapsed(self) -> float:
        """Seconds from the start of the request to its body read."""
    @property
    def attempts(self) -> int: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def content(self) -> bytes:
        """The whole body (empty for a streamed response: read that with ``aiter_bytes``)."""
    def text(self) -> str:
        """The body in the charset of its Content-Type (UTF-8 by default)."""
    def json(self) -> Any:
        """The body parsed as JSON in Rust: key order kept, integers exact."""
    def raise_for_status(self) -> Response:
        """Raises HttpStatusError for a 4xx/5xx; returns the response otherwise."""
    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The chunks of a streamed body, in order."""
    def aclose(self) -> Op[None]:
        """Stops reading a streamed body and releases its connection."""
    def _next_chunk(self) -> Op[bytes | None]: ...

class _Streaming:
    async def __aenter__(self) -> Response: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

class Client:
    """An HTTP client: one connection pool, cookie jar and closed state. Requests are
    lazy ``Op[Response]``s; durations are in seconds."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        headers: _HeaderPairs | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        pool_max_idle_per_host: int | None = None,
        max_connections: int | None = None,
        max_connections_per_host: int | None = None,
        http2: Literal["auto", "prior_knowledge", "never"] = "auto",
        follow_redirects: bool = True,
        max_redirects: int = 10,
        verify: bool = True,
        ca_certs: str | os.PathLike[str] | None = None,
        client_cert: str | os.PathLike[str] | None = None,
        client_key: str | os.PathLike[str] | None = None,
        proxy: str | None = None,
        cookies: bool = True,
        user_agent: str | None = None,
        retry: Retry | None = None,
        max_response_size: int | None = ...,
        error_for_status: bool = False,
    ) -> None:
        """``max_response_size``: the most bytes a body read whole may hold once
        decoded (default 64 MiB; ``None``: no limit); a streamed body is bounded only
        when it is given."""
    async def __aenter__(self) -> Client: ...
    async def __aexit__(self, *exc_info: object) -> None: ...
    async def close(self) -> None:
        """Later calls raise ClosedError; requests in flight end with Cancelled."""
    @property
    def closed(self) -> bool: ...
    def request(
        self,
        method: str,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]:
        """A lazy request; bad input raises InvalidArgument here, before any I/O."""
    def get(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def post(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def put(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def patch(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def delete(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def head(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def options(
        self,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]: ...
    def stream(
        self,
        method: str,
        url: str,
        *,
        params: _Pairs | None = None,
        headers: _HeaderPairs | None = None,
        json: Any = None,
        form: _Pairs | None = None,
        content: _Content | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> _Streaming:
        """``async with client.stream("GET", url) as r: async for chunk in r.aiter_bytes()``."""
    def fetch_all(
        self,
        requests: Iterable[_Request],
        *,
        limit: int | None = None,
        rate: float | None = None,
        fail_fast: bool = False,
        timeout: float | None = None,
        deadline: float | None = None,
        progress: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Awaitable[list[Fulfilled[Response] | Rejected[FanioError]]]:
        """Sends every request with the options of ``settle``; outcomes in input order,
        each rejected one with a FanioError."""

__all__: Final[list[str]]

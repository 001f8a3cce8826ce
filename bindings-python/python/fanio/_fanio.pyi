# The native module. Public names are re-exported by `fanio`; the rest is the engine's.
import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from . import (
    Database as Database,
)
from . import (
    Fulfilled as Fulfilled,
)
from . import (
    Op as Op,
)
from . import (
    Record as Record,
)
from . import (
    Rejected as Rejected,
)
from . import (
    Response as Response,
)
from . import (
    Retry as Retry,
)
from . import (
    Transaction as Transaction,
)
from . import (
    connect as connect,
)

_T = TypeVar("_T")

def sleep(seconds: float, value: _T = ...) -> Op[_T]: ...
def fail(seconds: float, message: str) -> Op[Any]: ...
def op_stats() -> dict[str, int]: ...
def reset_op_stats() -> None: ...
def native_batch(
    items: list[Any], options: Options, on_progress: Callable[[int, int], object] | None = ...
) -> NativeBatch | None: ...
def _shutdown() -> None: ...

MAX_DEPTH: int

class Bridge:
    def __init__(self) -> None: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

class Running:
    def abort(self) -> None: ...

class Options:
    def __init__(
        self,
        limit: float | None = ...,
        rate: float | None = ...,
        fail_fast: bool = ...,
        timeout: float | None = ...,
        deadline: float | None = ...,
        progress: bool = ...,
        limit_name: str = ...,
    ) -> None: ...
    @property
    def feed_target(self) -> int: ...

class NativeBatch:
    def _start(self, bridge: Bridge, fut: asyncio.Future[Any]) -> Running: ...

class Stream:
    def __init__(
        self, options: Options, bridge: Bridge, on_progress: Callable[[int, int], object] | None = ...
    ) -> None: ...
    def wanted(self) -> int: ...
    def feed(self, items: list[Any]) -> None: ...
    def end(self) -> None: ...
    def _next(self, bridge: Bridge, fut: asyncio.Future[Any]) -> Running: ...
    def close(self) -> None: ...

ACTION_START: int
ACTION_CANCEL: int
ACTION_SKIP: int
ACTION_SETTLED: int
ACTION_PULL: int
ACTION_PROGRESS: int
ACTION_FINISH: int

class Batch:
    def __init__(
        self, options: Options, stream: bool, bridge: Bridge, wake: Callable[[], object], report_progress: bool
    ) -> None: ...
    def feed(self, items: list[Any]) -> int: ...
    def pulled(self, ended: bool) -> None: ...
    def fail(self) -> None: ...
    def complete(self, index: int, rejected: bool) -> bool: ...
    def read(self, n: int) -> None: ...
    @property
    def fed(self) -> int: ...
    def step(self) -> tuple[list[tuple[int, int, Any]], float | None]: ...
    def close(self) -> None: ...

def _ping_pong_us(rounds: int) -> float: ...

class HttpClient:
    def __init__(
        self,
        base_url: str | None,
        headers: Any,
        timeout: float | None,
        connect_timeout: float | None,
        read_timeout: float | None,
        pool_max_idle_per_host: int | None,
        max_connections: int | None,
        max_connections_per_host: int | None,
        http2: str,
        follow_redirects: bool,
        max_redirects: int,
        verify: bool,
        ca_certs: Any,
        client_cert: Any,
        client_key: Any,
        proxy: str | None,
        cookies: bool,
        user_agent: str | None,
        retry: Retry | None,
        max_response_size: int | None,
        no_max_response_size: bool,
        error_for_status: bool,
    ) -> None: ...
    def request(
        self,
        method: str,
        url: str,
        params: Any,
        headers: Any,
        json: Any,
        form: Any,
        content: Any,
        timeout: float | None,
        error_for_status: bool | None,
        stream: bool,
    ) -> Op[Response]: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

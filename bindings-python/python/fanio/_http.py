"""The Python half of ``fanio.Client``: signatures, ``async with``, streaming contexts,
``fetch_all`` and the ``Headers`` mapping. Requests themselves are made, checked and run
by the core (``_fanio.HttpClient``); nothing here waits on I/O or decides semantics.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from . import _fanio
from ._engine import ProgressCallback, settle
from ._errors import InvalidArgument
from ._fanio import Op, Response, Retry

__all__ = ["Client", "Headers", "Response", "Retry"]


class Headers(Mapping[str, str]):
    """Response headers: a read-only mapping with case-insensitive names.

    A name sent more than once maps to its values joined with ``", "`` (as httpx does);
    ``get_all(name)`` gives each value on its own. Iteration yields lower-case names,
    each once, in the order they first arrived.
    """

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        values: dict[str, list[str]] = {}
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        for pair in items:
            # A wrong shape or type is a TypeError, as for any other wrong argument type.
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise TypeError(f"Headers takes (name, value) pairs, got {type(pair).__name__}")
            name, value = pair
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"header names and values must be str, got {type(name).__name__}")
            values.setdefault(name.lower(), []).append(value)
        self._values = values

    def __getitem__(self, name: str) -> str:
        values = self._values[name.lower()] if isinstance(name, str) else None
        if values is None:
            raise KeyError(name)
        return values[0] if len(values) == 1 else ", ".join(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get_all(self, name: str) -> list[str]:
        """Every value of `name`, in the order received; ``[]`` if absent."""
        if not isinstance(name, str):
            raise TypeError(f"a header name is a str, got {type(name).__name__}")
        return list(self._values.get(name.lower(), ()))

    def __repr__(self) -> str:
        pairs = [(name, value) for name, values in self._values.items() for value in values]
        return f"Headers({pairs!r})"


async def _aiter_bytes(response: Response) -> AsyncIterator[bytes]:
    # What Response.aiter_bytes() returns: each chunk is one native await.
    while (chunk := await response._next_chunk()) is not None:
        yield chunk


class _Streaming:
    """``async with client.stream(...) as response``: the head arrives on entry, the
    connection is let go on exit, however the block ends."""

    __slots__ = ("_op", "_response")

    def __init__(self, op: Op[Response]) -> None:
        self._op: Op[Response] | None = op
        self._response: Response | None = None

    async def __aenter__(self) -> Response:
        op, self._op = self._op, None
        if op is None:
            raise InvalidArgument("a stream() context can be entered once")
        # Only the response keeps the body alive from here: dropping the op lets
        # garbage collection of the response release the connection too.
        self._response = await op
        return self._response

    async def __aexit__(self, *exc_info: object) -> None:
        response, self._response = self._response, None
        if response is not None:
            await response.aclose()


class _CoreDefault:
    """The default of an option whose ``None`` lifts a limit: the core's own value,
    declared there once (see the README for what it is)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<core default>"


_CORE_DEFAULT: Final = _CoreDefault()

_REQUEST_KEYS = frozenset(
    {"method", "url", "params", "headers", "json", "form", "content", "timeout", "error_for_status"}
)

# The request arguments in the order `_fanio.HttpClient.request` takes them.
_Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None
_HeadersArg = Mapping[str, str] | Sequence[tuple[str, str]] | None


def _verb(method: str) -> Callable[..., Op[Response]]:
    def call(
        self: Client,
        url: str,
        *,
        params: _Params = None,
        headers: _HeadersArg = None,
        json: Any = None,
        form: _Params = None,
        content: bytes | bytearray | memoryview | str | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]:
        return self._native.request(method, url, params, headers, json, form, content, timeout, error_for_status, False)

    call.__name__ = call.__qualname__ = method.lower()
    call.__doc__ = f"A lazy {method} request: nothing is sent until it is awaited or settled."
    return call


class Client:
    """An HTTP client with one connection pool, cookie jar and closed state.

    Requests return ``fanio.Op[Response]``: lazy, run when awaited or settled (alone or
    thousands at a time with ``fanio.settle``). Durations are in seconds.
    """

    __slots__ = ("_native", "__weakref__")

    def __init__(
        self,
        base_url: str | None = None,
        *,
        headers: _HeadersArg = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        pool_max_idle_per_host: int | None = None,
        max_connections: int | None = None,
        max_connections_per_host: int | None = None,
        http2: str = "auto",
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
        max_response_size: int | None | _CoreDefault = _CORE_DEFAULT,
        error_for_status: bool = False,
    ) -> None:
        core_size = isinstance(max_response_size, _CoreDefault)
        size = None if isinstance(max_response_size, _CoreDefault) else max_response_size
        self._native = _fanio.HttpClient(
            base_url,
            headers,
            timeout,
            connect_timeout,
            read_timeout,
            pool_max_idle_per_host,
            max_connections,
            max_connections_per_host,
            http2,
            follow_redirects,
            max_redirects,
            verify,
            ca_certs,
            client_cert,
            client_key,
            proxy,
            cookies,
            user_agent,
            retry,
            size,
            not core_size and max_response_size is None,
            error_for_status,
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the client: later calls raise ClosedError, requests in flight end with
        Cancelled and drop their connections."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __repr__(self) -> str:
        return f"<fanio.Client{' closed' if self.closed else ''}>"

    def request(
        self,
        method: str,
        url: str,
        *,
        params: _Params = None,
        headers: _HeadersArg = None,
        json: Any = None,
        form: _Params = None,
        content: bytes | bytearray | memoryview | str | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> Op[Response]:
        """A lazy request. Bad input raises InvalidArgument here, before any I/O."""
        return self._native.request(method, url, params, headers, json, form, content, timeout, error_for_status, False)

    get = _verb("GET")
    post = _verb("POST")
    put = _verb("PUT")
    patch = _verb("PATCH")
    delete = _verb("DELETE")
    head = _verb("HEAD")
    options = _verb("OPTIONS")

    def stream(
        self,
        method: str,
        url: str,
        *,
        params: _Params = None,
        headers: _HeadersArg = None,
        json: Any = None,
        form: _Params = None,
        content: bytes | bytearray | memoryview | str | None = None,
        timeout: float | None = None,
        error_for_status: bool | None = None,
    ) -> _Streaming:
        """``async with client.stream("GET", url) as response:`` then
        ``async for chunk in response.aiter_bytes():``. The body is not read ahead;
        leaving the block releases the connection."""
        op = self._native.request(method, url, params, headers, json, form, content, timeout, error_for_status, True)
        return _Streaming(op)

    def _op(self, i: int, item: str | Mapping[str, Any]) -> Op[Response]:
        try:
            if isinstance(item, str):
                return self._native.request("GET", item, None, None, None, None, None, None, None, False)
            if not isinstance(item, Mapping):
                raise InvalidArgument(f"must be a URL or a dict, got {type(item).__name__}")
            unknown = item.keys() - _REQUEST_KEYS
            if unknown:
                raise InvalidArgument(f"unknown keys {sorted(map(str, unknown))}")
            if "url" not in item:
                raise InvalidArgument("has no 'url'")
            g = item.get
            return self._native.request(
                g("method", "GET"),
                item["url"],
                g("params"),
                g("headers"),
                g("json"),
                g("form"),
                g("content"),
                g("timeout"),
                g("error_for_status"),
                False,
            )
        except InvalidArgument as e:
            raise InvalidArgument(f"requests[{i}]: {e}") from None

    def fetch_all(
        self,
        requests: Iterable[str | Mapping[str, Any]],
        *,
        limit: int | None = None,
        rate: float | None = None,
        fail_fast: bool = False,
        timeout: float | None = None,
        deadline: float | None = None,
        progress: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Awaitable[list[_fanio.Fulfilled[Response] | _fanio.Rejected[BaseException]]]:
        """Sends every request (a URL, or a dict of `request` arguments plus ``method``
        and ``url``) with the options of ``fanio.settle``; one outcome per request, in
        order. Every request is checked here, before any is sent."""
        ops: list[Op[Response]] = []
        try:
            for i, item in enumerate(requests):
                ops.append(self._op(i, item))
        except BaseException:
            # Made here, not by the caller: they are not the caller's to await.
            for op in ops:
                op._hand_over()
            raise
        return settle(
            ops,
            limit=limit,
            rate=rate,
            fail_fast=fail_fast,
            timeout=timeout,
            deadline=deadline,
            progress=progress,
            on_progress=on_progress,
        )

"""fanio.Client beyond the shared scenarios: native batches, connection caps, cancellation,
close, fetch_all, streaming, the Response API and argument checks, all against the
testbed server (never a mock)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Mapping
from typing import Any

import fanio
import pytest
from conftest import eventually_no_running_ops, run_script

from testbed import Testbed as Server  # not `Testbed`: pytest would try to collect it
from testbed import connections, reset_connections

PATTERN = b"abcdefghijklmnopqrstuvwxyz"
CLOSED_URL = "http://127.0.0.1:1/x"


def pattern(n: int) -> bytes:
    return (PATTERN * (n // 26 + 1))[:n]


async def open_connections_settle(tb: Server, at_most: int = 0, timeout: float = 3.0) -> int:
    """Waits until the server counts at most `at_most` open connections; returns the count."""
    end = time.monotonic() + timeout
    while True:
        open_now = (await asyncio.to_thread(connections, tb.http))["open"]
        if open_now <= at_most or time.monotonic() > end:
            return open_now
        await asyncio.sleep(0.02)


async def fresh_counters(tb: Server) -> None:
    """No connection of an earlier test left open, then counters from zero."""
    gc.collect()
    assert await open_connections_settle(tb) == 0
    await asyncio.to_thread(reset_connections, tb.http)


# --- batches and caps ---


async def test_a_native_batch_of_2000_requests_is_all_fulfilled(testbed: Server) -> None:
    fanio.reset_op_stats()
    async with fanio.Client(testbed.http + "/") as client:
        outcomes = await fanio.settle([client.get(f"bytes/{i % 50 + 1}") for i in range(2000)], limit=64)
    fulfilled = [o for o in outcomes if isinstance(o, fanio.Fulfilled)]
    assert len(fulfilled) == 2000
    assert [len(o.value.content) for o in fulfilled] == [i % 50 + 1 for i in range(2000)]
    assert {o.value.status for o in fulfilled} == {200}
    assert 1 <= fanio.op_stats()["peak"] <= 64
    assert await eventually_no_running_ops() == 0


async def test_max_connections_per_host_never_opens_a_fifth_socket(testbed: Server) -> None:
    await fresh_counters(testbed)
    async with fanio.Client(max_connections_per_host=4) as client:
        outcomes = await fanio.settle([client.get(f"{testbed.http}/slow?delay_ms=5") for _ in range(100)])
        assert all(isinstance(o, fanio.Fulfilled) and o.value.text() == "ok" for o in outcomes)
    stats = await asyncio.to_thread(connections, testbed.http)
    assert 1 <= stats["peak"] <= 4, stats


async def test_cancelling_a_task_awaiting_never_closes_its_socket(testbed: Server) -> None:
    await fresh_counters(testbed)
    async with fanio.Client() as client:
        task = asyncio.create_task(_await(client.get(f"{testbed.http}/never")))
        end = time.monotonic() + 3
        while (await asyncio.to_thread(connections, testbed.http))["open"] < 1 and time.monotonic() < end:
            await asyncio.sleep(0.01)
        assert fanio.op_stats()["running"] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The Rust future was dropped, and the socket with it, while the client lives on.
        assert await eventually_no_running_ops() == 0
        assert await open_connections_settle(testbed) == 0


async def _await(aw: Any) -> Any:
    return await aw


# --- close ---


async def test_close_cancels_what_is_in_flight_and_refuses_new_requests(testbed: Server) -> None:
    client = fanio.Client(testbed.http)
    assert not client.closed
    waiting = asyncio.ensure_future(_await(client.get("/never")))
    lazy = client.get("/bytes/1")
    await asyncio.sleep(0.05)
    await client.close()
    assert client.closed and "closed" in repr(client)
    with pytest.raises(fanio.Cancelled) as info:
        await waiting
    assert info.value.code == "E_CANCELLED" and info.value.url.endswith("/never")
    # Made before the close, run after it: ends the same way, sends nothing.
    with pytest.raises(fanio.Cancelled):
        await lazy
    for make in (
        lambda: client.get("/bytes/1"),
        lambda: client.stream("GET", "/x"),
        lambda: client.fetch_all(["/bytes/1"]),
    ):
        with pytest.raises(fanio.ClosedError) as closed:
            make()
        assert closed.value.code == "E_CLOSED"
    await client.close()  # closing twice is harmless
    assert await eventually_no_running_ops() == 0


async def test_async_with_closes_the_client(testbed: Server) -> None:
    async with fanio.Client() as client:
        assert (await client.get(f"{testbed.http}/bytes/3")).content == b"abc"
    assert client.closed
    with pytest.raises(fanio.ClosedError):
        client.get(f"{testbed.http}/bytes/3")


async def test_close_ends_a_streamed_body_being_read(testbed: Server) -> None:
    client = fanio.Client()
    async with client.stream("GET", f"{testbed.http}/stream/50?delay_ms=50&size=10") as response:
        chunks = response.aiter_bytes()
        assert await chunks.__anext__() == PATTERN[:10]
        await client.close()
        with pytest.raises(fanio.Cancelled):
            async for _ in chunks:
                pass


def test_exit_with_requests_in_flight_is_silent(testbed: Server) -> None:
    # Requests and a streamed body pending when the interpreter exits (one loop closed
    # by asyncio.run, one left open): the runtime is shut down first, nothing is printed.
    result = run_script(
        """
        import asyncio, os, fanio
        URL = os.environ["URL"]

        async def main():
            client = fanio.Client(URL)
            asyncio.create_task(client.fetch_all(["/never"] * 20, limit=5))
            asyncio.create_task(_wait(client.get("/never")))
            response = await client.stream("GET", "/stream/100?delay_ms=500").__aenter__()
            await asyncio.sleep(0.05)
            return client, response

        async def _wait(op):
            return await op

        kept = asyncio.run(main())
        loop = asyncio.new_event_loop()
        loop.create_task(_wait(kept[0].get("/never")))
        loop.run_until_complete(asyncio.sleep(0.05))
        print("bye")
    """,
        env={"URL": testbed.http},
        timeout=30,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "bye\n", "")


# --- fetch_all and as_settled ---


async def test_fetch_all_takes_urls_and_dicts(testbed: Server) -> None:
    async with fanio.Client() as client:
        outcomes = await client.fetch_all(
            [
                f"{testbed.http}/bytes/5",
                {
                    "url": f"{testbed.http}/echo",
                    "method": "POST",
                    "json": {"n": 2**100},
                    "params": {"q": [1, 2]},
                    "headers": {"X-A": "b"},
                },
                {"url": f"{testbed.http}/status/404", "error_for_status": True},
                {"url": f"{testbed.http}/never", "timeout": 0.05},
                {"url": f"{testbed.http}/echo", "method": "put", "form": {"k": "v w"}, "content": None},
            ]
        )
    assert [o.status for o in outcomes] == ["fulfilled", "fulfilled", "rejected", "rejected", "fulfilled"]
    assert outcomes[0].value.content == b"abcde"
    echo = outcomes[1].value.json()
    assert echo["method"] == "POST" and echo["args"] == {"q": ["1", "2"]}
    assert echo["body"] == '{"n":1267650600228229401496703205376}'
    assert ["x-a", "b"] in echo["headers"]
    match outcomes[2]:
        case fanio.Rejected(fanio.HttpStatusError() as e):
            assert (e.status, e.url) == (404, f"{testbed.http}/status/404")
        case other:
            pytest.fail(f"expected an HttpStatusError, got {other!r}")
    assert isinstance(outcomes[3].error, fanio.TimeoutError) and outcomes[3].error.phase == "total"
    assert outcomes[4].value.json()["body"] == "k=v+w"


async def test_fetch_all_respects_the_limit(testbed: Server) -> None:
    fanio.reset_op_stats()
    async with fanio.Client() as client:
        start = time.perf_counter()
        outcomes = await client.fetch_all([f"{testbed.http}/slow?delay_ms=30"] * 20, limit=4)
        elapsed = time.perf_counter() - start
    assert all(isinstance(o, fanio.Fulfilled) for o in outcomes)
    assert fanio.op_stats()["peak"] <= 4
    assert elapsed >= 5 * 0.030 * 0.9  # 20 requests, 4 at a time, 30 ms each


async def test_fetch_all_fail_fast_cancels_the_rest(testbed: Server) -> None:
    progress: list[tuple[int, int]] = []
    async with fanio.Client(error_for_status=True) as client:
        start = time.perf_counter()
        outcomes = await client.fetch_all(
            [f"{testbed.http}/never", f"{testbed.http}/status/500", f"{testbed.http}/never"],
            fail_fast=True,
            on_progress=lambda done, total: progress.append((done, total)),
        )
        assert time.perf_counter() - start < 10
    codes = [o.error.code for o in outcomes if isinstance(o, fanio.Rejected)]
    assert codes == ["E_CANCELLED", "E_HTTP_STATUS", "E_CANCELLED"]
    assert progress[-1] == (3, 3)
    assert await eventually_no_running_ops() == 0


async def test_fetch_all_checks_every_request_before_sending_any(testbed: Server) -> None:
    await fresh_counters(testbed)
    async with fanio.Client() as client:
        for bad, words in [
            ([f"{testbed.http}/bytes/1", 42], "requests[1]"),
            ([{"url": f"{testbed.http}/x", "body": "?"}], "unknown keys ['body']"),
            ([{"method": "GET"}], "has no 'url'"),
            ([f"{testbed.http}/bytes/1", {"url": f"{testbed.http}/x", "headers": {"a": "\n"}}], "requests[1]"),
        ]:
            with pytest.raises(fanio.InvalidArgument) as info:
                client.fetch_all(bad)  # type: ignore[arg-type]
            assert words in str(info.value)
    assert (await asyncio.to_thread(connections, testbed.http))["total"] == 0


async def test_as_settled_streams_responses_as_they_complete(testbed: Server) -> None:
    async with fanio.Client() as client:
        seen: dict[int, int] = {}
        async for i, outcome in fanio.as_settled(
            (client.get(f"{testbed.http}/bytes/{n + 1}") for n in range(60)), limit=8
        ):
            assert isinstance(outcome, fanio.Fulfilled)
            seen[i] = len(outcome.value.content)
    assert seen == {n: n + 1 for n in range(60)}


# --- streaming ---


async def test_streamed_chunks_arrive_in_order(testbed: Server) -> None:
    async with fanio.Client() as client:
        async with client.stream("GET", f"{testbed.http}/bytes/200000?chunked=1") as response:
            assert response.status == 200 and response.headers["transfer-encoding"] == "chunked"
            chunks = [chunk async for chunk in response.aiter_bytes()]
        assert len(chunks) > 1
        assert b"".join(chunks) == pattern(200000)
        async with client.stream("GET", f"{testbed.http}/stream/4?delay_ms=10&size=100") as response:
            assert b"".join([c async for c in response.aiter_bytes()]) == pattern(100) * 4
            # Read to the end: later reads say so with None, not an error...
            assert await response._next_chunk() is None
        # ...until the block is left: the body is closed.
        with pytest.raises(fanio.ClosedError):
            await response._next_chunk()


async def test_leaving_a_stream_early_releases_the_connection(testbed: Server) -> None:
    async with fanio.Client(max_connections_per_host=1) as client:
        async with client.stream("GET", f"{testbed.http}/stream/100?delay_ms=20&size=10") as response:
            async for chunk in response.aiter_bytes():
                assert chunk == PATTERN[:10]
                break
        # The one connection allowed is free again: with the stream left open, this would
        # wait for it and time out.
        assert (await client.get(f"{testbed.http}/bytes/4", timeout=5)).content == b"abcd"
        with pytest.raises(fanio.ClosedError):
            await response._next_chunk()


async def test_a_collected_stream_releases_the_connection(testbed: Server) -> None:
    async with fanio.Client(max_connections_per_host=1) as client:
        context = client.stream("GET", f"{testbed.http}/stream/100?delay_ms=20&size=10")
        response = await context.__aenter__()
        assert response.status == 200
        del context, response
        gc.collect()
        assert (await client.get(f"{testbed.http}/bytes/2", timeout=5)).content == b"ab"


async def test_a_streamed_body_is_read_only_by_iterating(testbed: Server) -> None:
    async with fanio.Client() as client:
        stream = client.stream("GET", f"{testbed.http}/bytes/10")
        async with stream as response:
            # The body is left to aiter_bytes: nothing of it is in `content`.
            assert (response.content, response.text()) == (b"", "")
        with pytest.raises(fanio.InvalidArgument):
            await stream.__aenter__()  # entered once only
        plain = await client.get(f"{testbed.http}/bytes/10")
        with pytest.raises(fanio.InvalidArgument):
            async for _ in plain.aiter_bytes():
                pass
        await plain.aclose()  # nothing to release; harmless
        assert plain.content == pattern(10)


async def test_a_stream_with_error_for_status_raises_on_entry(testbed: Server) -> None:
    async with fanio.Client() as client:
        with pytest.raises(fanio.HttpStatusError) as info:
            async with client.stream("GET", f"{testbed.http}/status/503", error_for_status=True):
                pytest.fail("the block must not run")
        assert info.value.status == 503


# --- the Response API ---


async def test_response_headers_are_a_case_insensitive_multi_valued_mapping(testbed: Server) -> None:
    async with fanio.Client(cookies=False) as client:
        response = await client.get(f"{testbed.http}/cookies/set?a=1&b=2")
    headers = response.headers
    assert isinstance(headers, Mapping) and isinstance(headers, fanio.Headers)
    assert headers is response.headers  # built once
    cookies = headers.get_all("SET-COOKIE")
    assert len(cookies) == 2 and cookies[0].startswith("a=1") and cookies[1].startswith("b=2")
    assert headers["Set-Cookie"] == ", ".join(cookies) == headers.get("set-cookie")
    assert "set-cookie" in headers and "Set-Cookie" in headers and 42 not in headers
    assert headers.get("x-missing") is None and headers.get_all("x-missing") == []
    with pytest.raises(KeyError):
        headers["x-missing"]
    names = list(headers)
    assert names == [n.lower() for n in names] and len(names) == len(set(names)) == len(headers)
    assert dict(headers)["content-length"] == headers["Content-Length"]
    assert repr(headers).startswith("Headers([")
    assert fanio.Headers([("A", "1"), ("a", "2")]) == {"a": "1, 2"}


async def test_response_attributes_repr_and_raise_for_status(testbed: Server) -> None:
    async with fanio.Client() as client:
        ok = await client.get(f"{testbed.http}/redirect/2")
        missing = await client.get(f"{testbed.http}/status/404")
        teapot = await client.get(f"{testbed.http}/status/599")
    assert repr(ok) == "<Response [200 OK]>" and repr(missing) == "<Response [404 Not Found]>"
    assert repr(teapot) == "<Response [599]>" and teapot.reason == ""
    assert ok.url == f"{testbed.http}/echo" and ok.http_version == "HTTP/1.1" and ok.attempts == 1
    assert 0 < ok.elapsed < 30
    assert ok.raise_for_status() is ok
    assert ok.content is ok.content and isinstance(ok.content, bytes)
    with pytest.raises(fanio.HttpStatusError) as info:
        missing.raise_for_status()
    assert (info.value.status, info.value.url, info.value.code) == (404, f"{testbed.http}/status/404", "E_HTTP_STATUS")
    assert missing.text() == "status 404"


async def test_json_is_decoded_in_rust_with_order_and_exact_numbers(testbed: Server) -> None:
    async with fanio.Client() as client:
        doc = (await client.get(f"{testbed.http}/json")).json()
        echoed = await client.post(f"{testbed.http}/echo", json={"z": [1.5, None, True], "big": -(2**70), "a": "é"})
    assert doc["big"] == 1152921504606846976 and isinstance(doc["big"], int)
    assert echoed.json()["body"] == '{"z":[1.5,null,true],"big":-1180591620717411303424,"a":"é"}'
    assert list(echoed.json()) == list(echoed.json())  # fresh objects each call, same order


async def test_retry_is_frozen_typed_and_readable() -> None:
    retry = fanio.Retry()
    assert repr(retry) == (
        "Retry(attempts=3, backoff=0.1, backoff_max=10.0, jitter=True, "
        "on_status=frozenset({429, 502, 503, 504}), on_connect_error=True, "
        "respect_retry_after=True, methods=None)"
    )
    assert retry.on_status == frozenset({429, 502, 503, 504}) and retry.methods is None
    custom = fanio.Retry(attempts=5, backoff=1, methods=["post", "GET"], on_status=[503])
    assert (custom.attempts, custom.backoff, custom.methods) == (5, 1.0, frozenset({"POST", "GET"}))
    assert custom == fanio.Retry(attempts=5, backoff=1.0, methods={"GET", "POST"}, on_status={503})
    assert custom != retry and len({custom, retry, fanio.Retry()}) == 2
    with pytest.raises(AttributeError):
        custom.attempts = 1  # type: ignore[misc]


async def test_retry_policy_runs_in_the_core(testbed: Server) -> None:
    key = f"py-{time.time_ns()}"
    async with fanio.Client(retry=fanio.Retry(attempts=4, backoff=0.001, jitter=False)) as client:
        response = await client.get(f"{testbed.http}/flaky?key={key}&fail=3&status=503&retry_after=0")
    assert (response.status, response.attempts) == (200, 4)


# --- wrong types raise InvalidArgument before any I/O ---

BAD_CLIENT = [
    {"timeout": "1"},
    {"timeout": -1},
    {"connect_timeout": [1]},
    {"headers": 5},
    {"headers": [("a", 1)]},
    {"headers": ["ab"]},
    {"follow_redirects": 1},
    {"max_redirects": 1.5},
    {"max_connections": -1},
    {"max_connections_per_host": True},
    {"retry": {"attempts": 1}},
    {"http2": True},
    {"http2": "h3"},
    {"verify": "no"},
    {"ca_certs": 5},
    {"ca_certs": "/nonexistent.pem"},
    {"base_url": b"http://x"},
    {"base_url": "nope"},
    {"user_agent": 1},
    {"user_agent": "a\nb"},
    {"max_response_size": True},
    {"proxy": 1},
    {"cookies": None},
    {"error_for_status": "yes"},
    {"client_cert": "x.pem"},
    {"pool_max_idle_per_host": "4"},
]

BAD_REQUEST: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((5,), {}),
    ((CLOSED_URL,), {"params": 5}),
    ((CLOSED_URL,), {"params": [("a", object())]}),
    ((CLOSED_URL,), {"params": "a=1"}),
    ((CLOSED_URL,), {"headers": {"a": 1}}),
    ((CLOSED_URL,), {"headers": [("a",)]}),
    ((CLOSED_URL,), {"headers": {"a\n": "b"}}),
    ((CLOSED_URL,), {"json": object()}),
    ((CLOSED_URL,), {"json": {1: 2}}),
    ((CLOSED_URL,), {"json": float("nan")}),
    ((CLOSED_URL,), {"form": 5}),
    ((CLOSED_URL,), {"content": 5}),
    ((CLOSED_URL,), {"timeout": "1"}),
    ((CLOSED_URL,), {"timeout": -1}),
    ((CLOSED_URL,), {"error_for_status": "yes"}),
    ((CLOSED_URL,), {"json": {}, "form": {}}),
    (("relative/path",), {}),
    (("http://",), {}),
]


@pytest.mark.parametrize("kwargs", BAD_CLIENT, ids=[repr(k) for k in BAD_CLIENT])
def test_a_wrong_client_option_raises_invalid_argument(kwargs: dict[str, Any]) -> None:
    with pytest.raises(fanio.InvalidArgument) as info:
        fanio.Client(**kwargs)
    assert info.value.code == "E_INVALID_ARGUMENT"


@pytest.mark.parametrize("args,kwargs", BAD_REQUEST, ids=[repr(b) for b in BAD_REQUEST])
def test_a_wrong_request_argument_raises_at_the_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    fanio.reset_op_stats()
    client = fanio.Client()
    with pytest.raises(fanio.InvalidArgument):
        client.get(*args, **kwargs)
    with pytest.raises(fanio.InvalidArgument):
        client.stream("GET", *args, **kwargs)
    assert fanio.op_stats()["peak"] == 0


def test_a_recursive_json_body_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(fanio.InvalidArgument):
        fanio.Client().post(CLOSED_URL, json=loop)


def test_wrong_method_types_and_retry_options_raise_invalid_argument() -> None:
    client = fanio.Client()
    for bad in [lambda: client.request(1, CLOSED_URL), lambda: client.request("GE T", CLOSED_URL)]:  # type: ignore[arg-type]
        with pytest.raises(fanio.InvalidArgument):
            bad()
    for kwargs in [
        {"attempts": "3"},
        {"attempts": -1},
        {"backoff": "x"},
        {"on_status": [1.5]},
        {"on_status": "503"},
        {"methods": "GET"},
        {"methods": [1]},
        {"jitter": 1},
    ]:
        with pytest.raises(fanio.InvalidArgument):
            fanio.Retry(**kwargs)
    # Ranges are the core's: checked when a client takes the policy.
    for kwargs in [{"attempts": 0}, {"backoff": 20.0}, {"on_status": [42]}, {"methods": ["GE T"]}]:
        with pytest.raises(fanio.InvalidArgument):
            fanio.Client(retry=fanio.Retry(**kwargs))


async def test_requests_accept_the_documented_argument_shapes(testbed: Server) -> None:
    import pathlib

    async with fanio.Client(testbed.https, ca_certs=pathlib.Path(testbed.ca_pem), headers={"x-c": "1"}) as client:
        for params in ({"a": "x", "b": [1, 2.5, True]}, [("a", "x"), ("b", 1), ("b", 2.5), ("b", True)]):
            echo = (await client.get("/echo", params=params)).json()
            assert echo["args"] == {"a": ["x"], "b": ["1", "2.5", "true"]}
        for content in (b"raw", bytearray(b"raw"), memoryview(b"raw"), "raw"):
            assert (await client.put("/echo", content=content)).json()["body"] == "raw"
        for verb in ("delete", "patch", "options"):
            assert (await getattr(client, verb)("/echo")).json()["method"] == verb.upper()
        head = await client.head("/bytes/7")  # HTTP/2 by ALPN
        assert (head.http_version, head.status, head.headers["content-length"], head.content) == (
            "HTTP/2",
            200,
            "7",
            b"",
        )


async def test_requests_go_through_a_socks5_proxy(testbed: Server) -> None:
    # socks5: the client resolves the host; socks5h: the proxy does ("localhost").
    port = testbed.http.rsplit(":", 1)[1]
    for scheme, host in (("socks5", "127.0.0.1"), ("socks5h", "localhost")):
        before = (await asyncio.to_thread(connections, testbed.http))["proxied"]
        async with fanio.Client(proxy=testbed.socks.replace("socks5", scheme, 1)) as client:
            resp = await client.get(f"http://{host}:{port}/echo")
        assert (resp.status, resp.json()["proxied"]) == (200, False), scheme
        assert (await asyncio.to_thread(connections, testbed.http))["proxied"] == before + 1, f"{scheme}: one tunnel"
    # The testbed's SOCKS proxy tunnels only to this host: a refusal is a connect error.
    async with fanio.Client(proxy=testbed.socks.replace("socks5", "socks5h", 1)) as client:
        with pytest.raises(fanio.ConnectError) as refused:
            await client.get("http://example.invalid/echo")
    assert refused.value.code == "E_CONNECT"


# --- secrets, hostile URLs, bounded bodies, close ---

SECRET = "pw5ecret"
# Every way a password is written into a URL: plain, encoded, with the characters that
# end an authority unencoded, with an IPv6 host.
PASSWORDS = [SECRET, f"a%2F{SECRET}", f"a%3F{SECRET}", f"a%40{SECRET}", f"a@{SECRET}", f"a/{SECRET}", f"a?{SECRET}"]


def shown(e: fanio.FanioError) -> str:
    """Everything an error tells: message, repr and every field."""
    return " ".join([str(e), repr(e), *(repr(getattr(e, name)) for name in e.fields)])


@pytest.mark.parametrize("password", PASSWORDS)
async def test_a_password_in_a_request_url_never_shows(password: str) -> None:
    client = fanio.Client()
    for host in ("127.0.0.1:1", "[::1]:1"):
        try:
            op = client.get(f"http://user:{password}@{host}/x")
        except fanio.InvalidArgument as e:  # what does not parse fails at the call
            assert SECRET not in shown(e)
            continue
        with pytest.raises(fanio.FanioError) as info:
            await op
        assert info.value.code == "E_CONNECT"
        assert SECRET not in shown(info.value)
        assert "user:***@" in info.value.url


async def test_a_password_in_an_http_status_error_never_shows(testbed: Server) -> None:
    url = testbed.http.replace("://", f"://u:{SECRET}@") + "/status/500"
    async with fanio.Client() as client:
        with pytest.raises(fanio.HttpStatusError) as info:
            await client.get(url, error_for_status=True)
    assert info.value.status == 500
    assert SECRET not in shown(info.value)


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_password_in_a_bad_proxy_or_base_url_never_shows(password: str) -> None:
    for kwargs in (
        {"proxy": f"http://u:{password}@[::1"},
        {"proxy": f"ftp://u:{password}@proxy"},
        {"proxy": f"u:{password}@proxy:3128"},
        {"base_url": f"http://u:{password}@h:port/"},
        {"base_url": f"ftp://u:{password}@h/"},
    ):
        with pytest.raises(fanio.InvalidArgument) as info:
            fanio.Client(**kwargs)
        assert SECRET not in shown(info.value), kwargs


@pytest.mark.parametrize(
    "where",
    ["path", "query", "host", "nul-path", "lf-only"],
)
def test_cr_lf_or_nul_in_a_request_url_is_refused_at_the_call(where: str) -> None:
    url = {
        "path": "http://127.0.0.1:1/a\r\nX-Injected: 1",
        "query": "http://127.0.0.1:1/a?b=1\r\nc",
        "host": "http://127.0.\r\n0.1:1/a",
        "nul-path": "http://127.0.0.1:1/a\x00b",
        "lf-only": "http://127.0.0.1:1/a\nb",
    }[where]
    fanio.reset_op_stats()
    client = fanio.Client()
    with pytest.raises(fanio.InvalidArgument):
        client.get(url)
    with pytest.raises(fanio.InvalidArgument):
        client.stream("GET", url)
    with pytest.raises(fanio.InvalidArgument):
        fanio.Client("http://127.0.0.1:1/").get(url.removeprefix("http://127.0.0.1:1/"))
    assert fanio.op_stats()["peak"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "http://127.0.0.1:1/\r\n"},
        {"base_url": "http://1\n27.0.0.1:1/"},
        {"proxy": "http://127.0.0.1:1\r\n"},
        {"proxy": "http://127.0.0.1:1/\x00"},
    ],
)
def test_cr_lf_or_nul_in_base_url_or_proxy_is_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(fanio.InvalidArgument):
        fanio.Client(**kwargs)


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


async def test_a_gzip_bomb_stops_at_the_default_limit_while_decoding(testbed: Server) -> None:
    async with fanio.Client(testbed.http) as client:
        gc.collect()
        # Peak RSS from now on: writing 5 to clear_refs resets VmHWM to the current RSS.
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _rss_kb("VmRSS")
        with pytest.raises(fanio.BodyTooLarge) as info:
            await client.get("/encoding/gzip/bomb")
        grown_mb = (_rss_kb("VmHWM") - before) / 1024
    limit = info.value.limit
    assert (info.value.code, limit) == ("E_BODY_TOO_LARGE", 64 * 1024 * 1024)
    # The bomb expands to 200 MiB: held whole, the peak would grow by more than that.
    assert grown_mb < 2 * limit / 2**20, f"peak RSS grew {grown_mb:.0f} MB"


async def test_max_response_size_can_be_raised_or_lifted_and_bounds_streams_only_when_given(
    testbed: Server,
) -> None:
    past = 64 * 1024 * 1024 + 1
    async with fanio.Client(testbed.http) as default:
        with pytest.raises(fanio.BodyTooLarge):
            await default.get(f"/bytes/{past}")
        # A streamed body is the caller's to bound: read past the default, chunk by chunk.
        async with default.stream("GET", f"/bytes/{past}") as response:
            assert sum([len(c) async for c in response.aiter_bytes()]) == past
    async with fanio.Client(testbed.http, max_response_size=None) as lifted:
        assert len((await lifted.get(f"/bytes/{past}")).content) == past
    async with fanio.Client(testbed.http, max_response_size=past) as raised:
        assert len((await raised.get(f"/bytes/{past}")).content) == past
    async with fanio.Client(testbed.http, max_response_size=1000) as small:
        async with small.stream("GET", "/bytes/5000") as response:
            with pytest.raises(fanio.BodyTooLarge):
                async for _ in response.aiter_bytes():
                    pass


async def test_a_malformed_chunked_body_is_a_protocol_error(testbed: Server) -> None:
    async with fanio.Client(testbed.http) as client:
        with pytest.raises(fanio.ProtocolError) as info:
            await client.get("/bad-chunking")
    assert info.value.code == "E_PROTOCOL" and info.value.url.endswith("/bad-chunking")


async def test_close_closes_every_pooled_socket_at_once(testbed: Server) -> None:
    await fresh_counters(testbed)
    client = fanio.Client(testbed.http)
    outcomes = await fanio.settle([client.get("/slow?delay_ms=50") for _ in range(20)])
    assert all(isinstance(o, fanio.Fulfilled) for o in outcomes)
    assert (await asyncio.to_thread(connections, testbed.http))["open"] == 20
    await client.close()
    # The Client object is still referenced: close alone must let every socket go.
    assert await open_connections_settle(testbed) == 0
    assert client.closed

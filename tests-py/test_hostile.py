"""Hostile input from Python: values nested past the core's depth limit, lone
surrogates, huge ints and wrong types, thrown at every public callable. Each call works
or fails with a fanio error carrying a code (or a TypeError for a wrong type); never a
UnicodeEncodeError, OverflowError, AttributeError or RuntimeError."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import fanio
import pytest
from dbkit import pg_or_skip

MAX_DEPTH: int = fanio._fanio.MAX_DEPTH  # the core's one limit, shared with Node


def deep_list(levels: int) -> Any:
    v: Any = "x"
    for _ in range(levels):
        v = [v]
    return v


def deep_dict(levels: int) -> Any:
    v: Any = 1
    for _ in range(levels):
        v = {"a": v}
    return v


TOO_DEEP = {
    "dict one level too deep": lambda: deep_dict(MAX_DEPTH + 1),
    "dict 5,000 deep": lambda: deep_dict(5_000),
    "list 50,000 deep": lambda: deep_list(50_000),
    "dict in lists, too deep": lambda: [[deep_dict(MAX_DEPTH)]],
}

PARAM_CALLS: dict[str, tuple[Callable[[Any, Any], object], dict[str, int]]] = {
    "execute": (lambda db, v: db.execute("SELECT CAST($1 AS text)", [v]), {}),
    "fetch_all": (lambda db, v: db.fetch_all("SELECT CAST($1 AS text)", [v]), {}),
    "fetch_one": (lambda db, v: db.fetch_one("SELECT CAST($1 AS text)", [v]), {}),
    "fetch_optional": (lambda db, v: db.fetch_optional("SELECT CAST($1 AS text)", [v]), {}),
    "fetch_val": (lambda db, v: db.fetch_val("SELECT CAST($1 AS text)", [v]), {}),
    "execute_many": (lambda db, v: db.execute_many("SELECT CAST($1 AS text)", [["ok"], [v]]), {"row": 1}),
}


async def refuses_too_deep(db: fanio.Database, backend: str) -> None:
    for what, make in TOO_DEEP.items():
        v = make()
        for call, (run, fields) in PARAM_CALLS.items():
            with pytest.raises(fanio.InvalidArgument) as e:
                run(db, v)
            assert e.value.index == 1, (call, what)
            for k, want in fields.items():
                assert getattr(e.value, k) == want, (call, what, k)
        # copy_records converts while the load runs: the error comes when it is awaited.
        with pytest.raises(fanio.InvalidArgument) as e:
            await db.copy_records("deep", [["ok"], [v]], columns=["v"])
        assert (e.value.row, e.value.index) == (1, 1), what
    # Exactly as deep as the limit is taken, and reads back whole.
    doc = {"doc": deep_dict(MAX_DEPTH - 1)}
    if backend == "sqlite":
        import json

        assert json.loads(await db.fetch_val("SELECT CAST($1 AS text)", [doc])) == doc
    else:
        assert await db.fetch_val("SELECT CAST($1 AS jsonb)", [doc]) == doc
    assert await db.fetch_val("SELECT 1") == 1


async def test_too_deep_parameters_are_invalid_arguments_on_sqlite(tmp_path: Path) -> None:
    db = await fanio.connect(f"sqlite://{tmp_path / 'd.db'}")
    await db.execute("CREATE TABLE deep (v TEXT)")
    await refuses_too_deep(db, "sqlite")
    assert await db.fetch_val("SELECT count(*) FROM deep") == 0
    await db.close()


async def test_too_deep_parameters_are_invalid_arguments_on_postgres() -> None:
    db = await pg_or_skip()
    await db.execute("CREATE TEMP TABLE deep (v text)")
    await refuses_too_deep(db, "postgres")
    await db.close()


async def test_too_deep_json_bodies_are_invalid_arguments() -> None:
    async with fanio.Client("http://127.0.0.1:9") as client:
        for make in TOO_DEEP.values():
            with pytest.raises(fanio.InvalidArgument):
                client.post("/x", json=make())
        loop: list[Any] = []
        loop.append(loop)
        with pytest.raises(fanio.InvalidArgument):
            client.post("/x", json=loop)
        assert isinstance(client.post("/x", json=deep_list(MAX_DEPTH)), fanio.Op)


# --------------------------------------------------------------------------------------


class _Weird:
    def __repr__(self) -> str:
        return "<weird>"


_loop: list[Any] = []
_loop.append(_loop)

HOSTILE: dict[str, Any] = {
    "None": None,
    "True": True,
    "-1": -1,
    "1.5": 1.5,
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "10**30": 10**30,
    "-10**30": -(10**30),
    "10**400": 10**400,
    "''": "",
    "a lone surrogate": "\ud800",
    "a NUL": "a\x00b",
    "bytes": b"\xff\xfe",
    "an object": _Weird(),
    "a list": [1],
    "a dict": {"k": "\ud800"},
    "a tuple of surrogates": ("\udfff", "\ud800"),
    "a self-containing list": _loop,
    "a list 50,000 deep": deep_list(50_000),
    "a dict 5,000 deep": deep_dict(5_000),
}

# What a call may raise: fanio's own errors (with a code), or a TypeError for a wrong
# type. A Record or Headers lookup of what is not there raises KeyError / IndexError,
# as any mapping or sequence does.
LOOKUP_ERRORS = (KeyError, IndexError)


async def _outcome(call: Callable[[], object], wait: bool) -> BaseException | None:
    """What `call` raised, making its op (and awaiting it, if `wait`)."""
    try:
        r = call()
        if wait and isinstance(r, Awaitable):
            await asyncio.wait_for(r, 5)
        elif hasattr(r, "__aiter__"):
            async for _ in r:  # type: ignore[union-attr]
                pass
    except BaseException as e:
        return e
    return None


def _calls(db: fanio.Database, rec: fanio.Record, client: fanio.Client, v: Any) -> dict[str, Callable[[], object]]:
    calls: dict[str, Callable[[], object]] = {
        "sleep(v)": lambda: fanio.sleep(v),
        "fail(v, m)": lambda: fanio.fail(v, "m"),
        "fail(0, v)": lambda: fanio.fail(0, v),
        "settle(v)": lambda: fanio.settle(v),
        "settle([v])": lambda: fanio.settle([v]),
        "gather(v)": lambda: fanio.gather(v),
        "as_settled(v)": lambda: fanio.as_settled(v),
        "connect(v)": lambda: fanio.connect(v),
        "db.fetch_all(v)": lambda: db.fetch_all(v),
        "db.fetch_all(sql, v)": lambda: db.fetch_all("SELECT 1", v),
        "db.fetch_val(sql, [v])": lambda: db.fetch_val("SELECT ?", [v]),
        "db.fetch_val(sql, {p: v})": lambda: db.fetch_val("SELECT :p", {"p": v}),
        "db.fetch_val(sql, {v: 1})": lambda: db.fetch_val("SELECT :p", {v: 1}),
        "db.execute_many(v, rows)": lambda: db.execute_many(v, [[1]]),
        "db.execute_many(sql, v)": lambda: db.execute_many("SELECT ?", v),
        "db.execute_many(sql, [v])": lambda: db.execute_many("SELECT ?", [v]),
        "db.execute_many(sql, [[v]])": lambda: db.execute_many("SELECT ?", [[v]]),
        "db.copy_records(v, ...)": lambda: db.copy_records(v, [[1]], columns=["a"]),
        "db.copy_records(t, v)": lambda: db.copy_records("h", v, columns=["a"]),
        "db.copy_records(t, [[v]])": lambda: db.copy_records("h", [[v]], columns=["a"]),
        "db.copy_records(t, rows, columns=v)": lambda: db.copy_records("h", [[1]], columns=v),
        "db.copy_records(t, rows, columns=[v])": lambda: db.copy_records("h", [[1]], columns=[v]),
        "db.transaction(isolation=v)": lambda: db.transaction(isolation=v),
        "db.transaction(read_only=v)": lambda: db.transaction(read_only=v),
        "rec[v]": lambda: rec[v],
        "rec.get(v)": lambda: rec.get(v),
        "v in rec": lambda: v in rec,
        "Headers(v)": lambda: fanio.Headers(v),
        "Headers([v])": lambda: fanio.Headers([v]),
        "Headers([(v, v)])": lambda: fanio.Headers([(v, v)]),
        "Headers({'a': v})": lambda: fanio.Headers({"a": v}),
        "Headers().get_all(v)": lambda: fanio.Headers([("a", "b")]).get_all(v),
        "Headers()[v]": lambda: fanio.Headers([("a", "b")])[v],
        "Client(v)": lambda: fanio.Client(v),
        "client.get(v)": lambda: client.get(v),
        "client.request(v, url)": lambda: client.request(v, "/"),
        "client.fetch_all([v])": lambda: client.fetch_all([v]),
        "client.stream(v, url)": lambda: client.stream(v, "/"),
    }
    for key in ("max_connections", "min_connections", "acquire_timeout", "statement_cache_size"):
        calls[f"connect(url, {key}=v)"] = lambda key=key: fanio.connect("sqlite::memory:", **{key: v})
    for key in (
        "headers",
        "timeout",
        "connect_timeout",
        "read_timeout",
        "pool_max_idle_per_host",
        "max_connections",
        "max_connections_per_host",
        "http2",
        "follow_redirects",
        "max_redirects",
        "verify",
        "ca_certs",
        "client_cert",
        "proxy",
        "cookies",
        "user_agent",
        "retry",
        "max_response_size",
        "error_for_status",
    ):
        calls[f"Client({key}=v)"] = lambda key=key: fanio.Client(**{key: v})
    for key in ("attempts", "backoff", "backoff_max", "jitter", "on_status", "on_connect_error", "methods"):
        calls[f"Retry({key}=v)"] = lambda key=key: fanio.Retry(**{key: v})
    for key in ("params", "headers", "json", "form", "content", "timeout", "error_for_status"):
        calls[f"client.get(url, {key}=v)"] = lambda key=key: client.get("/", **{key: v})
    calls["client.get(url, headers={h: v})"] = lambda: client.get("/", headers={"h": v})
    calls["client.get(url, params={p: v})"] = lambda: client.get("/", params={"p": v})
    return calls


def _allowed(call: str, e: BaseException | None) -> bool:
    if e is None or isinstance(e, TypeError):
        return True
    if isinstance(e, fanio.FanioError):
        return isinstance(e.code, str) and e.code.startswith("E_")
    return call.startswith(("rec", "Headers")) and isinstance(e, LOOKUP_ERRORS)


async def test_every_public_callable_raises_only_fanio_errors_or_type_errors(tmp_path: Path) -> None:
    db = await fanio.connect(f"sqlite://{tmp_path / 'h.db'}")
    await db.execute("CREATE TABLE h (a)")
    rec = await db.fetch_one("SELECT 1 AS a")
    wrong = []
    async with fanio.Client("http://127.0.0.1:9") as client:
        for what, v in HOSTILE.items():
            for call, run in _calls(db, rec, client, v).items():
                # A sleep or fail op is only made: a valid one may wait for ages.
                e = await _outcome(run, wait=not call.startswith(("sleep", "fail")))
                if not _allowed(call, e):
                    wrong.append(f"{call} with {what}: {type(e).__name__}: {e}")
    assert wrong == []
    assert await db.fetch_val("SELECT 1") == 1
    await db.close()


async def test_a_transaction_context_entered_twice_is_an_invalid_argument(tmp_path: Path) -> None:
    db = await fanio.connect(f"sqlite://{tmp_path / 't.db'}")
    ctx = db.transaction()
    async with ctx:
        pass
    with pytest.raises(fanio.InvalidArgument):
        async with ctx:
            pass
    async with db.transaction() as tx:
        assert await tx.fetch_val("SELECT 1") == 1
    await db.close()

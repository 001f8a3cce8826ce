"""Hostile input from Python: values nested past the core's depth limit, lone
surrogates, huge ints and wrong types, thrown at every public callable. Each call works
or fails with a fanio error carrying a code (or a TypeError for a wrong type); never a
UnicodeEncodeError, OverflowError, AttributeError or RuntimeError."""

from __future__ import annotations

from collections.abc import Callable
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

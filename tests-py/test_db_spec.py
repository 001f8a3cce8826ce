"""Runs every row and scenario of tests-spec/db.json against Postgres and SQLite."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import fanio
import pytest
import pytest_asyncio
from conftest import ROOT
from dbkit import PG_URL, pg_or_skip, unique

SPEC = json.loads((ROOT / "tests-spec" / "db.json").read_text())


def decode(tagged: Any) -> Any:
    """A tagged value of the spec as the Python value fanio returns."""
    if tagged is None:
        return None
    ((tag, v),) = tagged.items()
    match tag:
        case "bool" | "text" | "json":
            return v
        case "int" | "bigint" | "any_int":
            return int(v)
        case "float":
            return float(v)
        case "decimal":
            return Decimal(v)
        case "bytes_hex":
            return bytes.fromhex(v)
        case "uuid":
            return uuid.UUID(v)
        case "date":
            return {"infinity": dt.date.max, "-infinity": dt.date.min}.get(v) or dt.date.fromisoformat(v)
        case "time":
            return dt.time.fromisoformat(v)
        case "timestamp":
            return {"infinity": dt.datetime.max, "-infinity": dt.datetime.min}.get(v) or dt.datetime.fromisoformat(v)
        case "timestamptz":
            # asyncpg's infinities are the naive extremes, for timestamptz too.
            inf = {"infinity": dt.datetime.max, "-infinity": dt.datetime.min}.get(v)
            return inf or dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        case "interval":
            # asyncpg's rule: whole years of 365 days, the months left of 30, toward zero.
            months, days, micros = v
            years = int(months / 12)
            return dt.timedelta(days=years * 365 + (months - years * 12) * 30 + days, microseconds=micros)
        case "inet":
            iface = ipaddress.ip_interface(v)
            full = iface.network.prefixlen == iface.max_prefixlen
            return iface.ip if full else iface
        case "cidr":
            return ipaddress.ip_network(v)
        case "list":
            return [decode(x) for x in v]
    raise AssertionError(f"unknown tag {tag}")


def same(got: Any, tagged: Any) -> None:
    """Equal in value AND type; decimals keep their exact text, NaN equals NaN."""
    want = decode(tagged)
    if tagged is not None and "list" in tagged:
        assert isinstance(got, list) and len(got) == len(want), (got, want)
        for g, t in zip(got, tagged["list"], strict=True):
            same(g, t)
        return
    assert type(got) is type(want), (got, want)
    if isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    elif isinstance(want, Decimal):
        assert str(got) == tagged["decimal"], (got, want)
    else:
        assert got == want, (got, want)
    if isinstance(want, dt.datetime):
        assert got.utcoffset() == want.utcoffset()


# --- Postgres -----------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg() -> AsyncIterator[tuple[fanio.Database, str, set[str]]]:
    db = await pg_or_skip()
    schema = unique("fanio_spec")
    await db.execute(f"CREATE SCHEMA {schema}")
    for sql in SPEC["postgres"]["setup"]:
        await db.execute(sql.replace("$schema", schema))
    extensions = set()
    try:
        await db.execute("CREATE EXTENSION IF NOT EXISTS citext")
    except fanio.DatabaseError as e:
        # Another suite may create it at the same moment: look, do not guess.
        print(f"CREATE EXTENSION citext: {e}")
    if await db.fetch_val("SELECT count(*) FROM pg_extension WHERE extname = 'citext'"):
        extensions.add("citext")
    try:
        yield db, schema, extensions
    finally:
        await db.execute(f"DROP SCHEMA {schema} CASCADE")
        await db.close()


PG_ROWS = SPEC["postgres"]["types"]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("row", PG_ROWS, ids=[r["name"] for r in PG_ROWS])
async def test_pg_type(pg: tuple[fanio.Database, str, set[str]], row: dict[str, Any]) -> None:
    db, schema, extensions = pg
    if row.get("requires") and row["requires"] not in extensions:
        pytest.skip(f"extension {row['requires']} is not installed")
    sql = lambda s: s.replace("$schema", schema)  # noqa: E731
    same(await db.fetch_val(sql(row["select"])), row["expect"])
    if "param_sql" in row:
        same(await db.fetch_val(sql(row["param_sql"]), [decode(row["expect"])]), row["expect"])
        assert await db.fetch_val(sql(row["param_sql"]), [None]) is None


def as_asyncpg(mine: Any, theirs: Any, where: str) -> None:
    """`mine` is what asyncpg gave (`theirs`), in value and type; json comes parsed
    where asyncpg gives its text."""
    if isinstance(theirs, list):
        assert isinstance(mine, list) and len(mine) == len(theirs), where
        for m, t in zip(mine, theirs, strict=True):
            as_asyncpg(m, t, where)
        return
    if isinstance(theirs, str) and isinstance(mine, (dict, list)):
        theirs = json.loads(theirs)
    # asyncpg's UUID subclasses uuid.UUID.
    assert isinstance(theirs, type(mine)) or isinstance(mine, type(theirs)), f"{where}: {type(mine)} vs {type(theirs)}"
    if isinstance(mine, float) and math.isnan(mine) or isinstance(mine, Decimal) and mine.is_nan():
        assert str(mine) == str(theirs), where
    else:
        assert mine == theirs, f"{where}: {mine!r} vs {theirs!r}"
    if isinstance(mine, (dt.datetime, dt.time)):
        assert mine.utcoffset() == theirs.utcoffset(), where
    if isinstance(mine, Decimal):
        assert str(mine) == str(theirs), f"{where}: the scale too"


@pytest.mark.asyncio(loop_scope="module")
async def test_pg_types_equal_what_asyncpg_returns(pg: tuple[fanio.Database, str, set[str]]) -> None:
    """The issue's promise to asyncpg users, checked against asyncpg itself on every row."""
    import asyncpg  # type: ignore[import-untyped]

    db, schema, extensions = pg
    apg = await asyncpg.connect(PG_URL)
    try:
        checked = 0
        for row in PG_ROWS:
            if row.get("requires") and row["requires"] not in extensions:
                continue
            sql = row["select"].replace("$schema", schema)
            as_asyncpg(await db.fetch_val(sql), await apg.fetchval(sql), row["name"])
            checked += 1
        assert checked >= len(PG_ROWS) - 1
    finally:
        await apg.close()


# --- SQLite -------------------------------------------------------------------------

SQLITE_ROWS = SPEC["sqlite"]["types"]


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[fanio.Database]:
    async with await fanio.connect(f"sqlite://{tmp_path / 'spec.db'}") as db:
        yield db


@pytest.mark.parametrize("row", SQLITE_ROWS, ids=[r["name"] for r in SQLITE_ROWS])
async def test_sqlite_type(lite: fanio.Database, row: dict[str, Any]) -> None:
    same(await lite.fetch_val(row["select"]), row["expect"])
    same(await lite.fetch_val(row["param_sql"], [decode(row["expect"])]), row["expect"])
    assert await lite.fetch_val(row["param_sql"], [None]) is None


# --- behaviour ----------------------------------------------------------------------

CASES = [(s, b) for s in SPEC["scenarios"] for b in s["backends"]]


def params(raw: Any) -> Any:
    if isinstance(raw, dict):
        return {k: decode(v) for k, v in raw.items()}
    return [decode(v) for v in raw]


async def run_step(db: fanio.Database, step: dict[str, Any], table: str) -> None:
    sub = lambda s: s.replace("$t", table)  # noqa: E731
    call = step["call"]
    if call == "execute_many":
        op = db.execute_many(sub(step["sql"]), [params(p) for p in step["params_seq"]])
    elif call == "copy_records":
        op = db.copy_records(sub(step["table"]), [params(r) for r in step["records"]], columns=step["columns"])
    else:
        op = getattr(db, call)(sub(step["sql"]), params(step["params"]) if "params" in step else None)
    if "expect_error" in step:
        want = step["expect_error"]
        with pytest.raises(fanio.FanioError) as info:
            await op
        err = info.value
        assert err.code == want["code"], err
        for name, value in want.get("fields", {}).items():
            assert getattr(err, name) == (sub(value) if isinstance(value, str) else value), (name, err.fields)
        if "integrity" in want:
            assert isinstance(err, fanio.IntegrityError) is want["integrity"], type(err)
        return
    got = await op
    want = step["expect"]
    if call in ("execute", "execute_many", "copy_records"):
        assert got == want
    elif call == "fetch_val":
        same(got, want)
    elif want is None:
        assert got is None
    elif call == "fetch_all":
        assert [list(r.keys()) for r in got] == [want["columns"]] * len(want["rows"])
        assert len(got) == len(want["rows"])
        for rec, row in zip(got, want["rows"], strict=True):
            for value, tagged in zip(rec, row, strict=True):
                same(value, tagged)
    else:
        assert isinstance(got, fanio.Record) and list(got.keys()) == want["columns"]
        for value, tagged in zip(got, want["values"], strict=True):
            same(value, tagged)


@pytest.mark.parametrize("case", CASES, ids=[f"{b}: {s['name']}" for s, b in CASES])
async def test_behaviour(case: tuple[dict[str, Any], str], tmp_path: Path) -> None:
    scenario, backend = case
    db = await pg_or_skip() if backend == "postgres" else await fanio.connect(f"sqlite://{tmp_path / 'b.db'}")
    table = unique("fanio_spec_t")
    try:
        for sql in scenario["setup"]:
            await db.execute(sql.replace("$t", table))
        for step in scenario["steps"]:
            await run_step(db, step, table)
    finally:
        for sql in scenario.get("teardown", []):
            await db.execute(sql.replace("$t", table))
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.close()


# --- TLS ----------------------------------------------------------------------------

TLS = SPEC["tls"]


@pytest.mark.parametrize("case", TLS, ids=[c["name"] for c in TLS])
async def test_tls(case: dict[str, Any], testbed: Any) -> None:
    await (await pg_or_skip()).close()
    places = {
        "$pg_tls_other_name": testbed.pg_tls_other_name,
        "$pg_tls": testbed.pg_tls,
        "$other_ca_pem": testbed.other_ca_pem,
        "$ca_pem": testbed.ca_pem,
    }

    def sub(s: str) -> str:
        for name, value in places.items():  # longest names first: $pg_tls_other_name
            s = s.replace(name, value)
        return s

    url = sub(case["url"])
    url += ("&" if "?" in url else "?") + "&".join(sub(p) for p in case["params"])
    if "expect_error" in case:
        want = case["expect_error"]
        with pytest.raises(fanio.FanioError) as info:
            await fanio.connect(url)
        assert info.value.code == want["code"], info.value
        assert want["message_has"] in str(info.value), info.value
        return
    async with await fanio.connect(url) as db:
        assert await db.fetch_val("SELECT 1") == case["expect"]

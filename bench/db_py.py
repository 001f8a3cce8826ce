"""Database throughput from Python: fanio's native batches against asyncpg, psqlpy,
aiosqlite and a plain sqlite3 loop, with pgbench as the Postgres ceiling.

    python bench/db_py.py            # full counts (release build: `make build`)
    python bench/db_py.py --quick    # tiny counts, a smoke run for CI
    python bench/db_py.py --bulk     # only the Postgres bulk writes (execute_many, COPY)

Prints one table of ops/s; "vs fanio" is the other's ops/s over fanio's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import fanio
import psqlpy

PG_URL = os.environ.get("FANIO_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
RESULTS: list[tuple[str, str, int, float]] = []  # (group, name, ops, seconds)


def record(group: str, name: str, ops: int, seconds: float) -> None:
    RESULTS.append((group, name, ops, seconds))
    print(f"  {name:<44} {ops / seconds:>12,.0f} ops/s", flush=True)


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bounded(n: int, limit: int, one: Callable[[int], Awaitable[Any]]) -> None:
    """asyncio.gather with a Semaphore: the usual way to bound fan-out by hand."""
    sem = asyncio.Semaphore(limit)

    async def run(i: int) -> None:
        async with sem:
            await one(i)

    await asyncio.gather(*(run(i) for i in range(n)))


def ids(n: int, rows: int) -> list[int]:
    return [(i * 7919) % rows + 1 for i in range(n)]


# --- Postgres -------------------------------------------------------------------------


async def postgres(quick: bool, bulk_only: bool) -> None:
    rows, lookups, inflight, bulk = (5_000, 500, 32, 1_000) if quick else (100_000, 20_000, 32, 100_000)
    try:
        db = await fanio.connect(PG_URL, max_connections=8)
    except fanio.ConnectError as e:
        print(f"Postgres benchmarks skipped: {e}")
        return
    table = f"fanio_bench_{os.getpid()}"
    await db.execute(
        f"CREATE TABLE {table} AS SELECT g AS id, 'name ' || g AS name, g % 100 AS v FROM generate_series(1, {rows}) g"
    )
    await db.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
    sql = f"SELECT id, name, v FROM {table} WHERE id = $1"
    keys = ids(lookups, rows)
    try:
        if not bulk_only:
            print(
                f"Postgres: {lookups:,} primary-key lookups on {rows:,} rows, {inflight} in flight (fanio and pgbench: best of {1 if quick else 3})"
            )
            # fanio and pgbench best of 3, interleaved: one run each swings by 1.5x here.
            rounds = 1 if quick else 3
            bench = pgbench_setup()
            ceiling = 0.0
            for conns in (4, 8):
                async with await fanio.connect(PG_URL, max_connections=conns) as f:
                    await f.fetch_one(sql, [1])
                    out: list[Any] = []

                    async def batch(f: fanio.Database = f, out: list[Any] = out) -> None:
                        out[:] = await fanio.settle([f.fetch_one(sql, [k]) for k in keys], limit=inflight)

                    secs = float("inf")
                    for _ in range(rounds):
                        secs = min(secs, await timed(batch))
                        assert all(o.value["id"] == k for o, k in zip(out, keys, strict=True))  # type: ignore[union-attr]
                        if bench and conns == 4:
                            ceiling = max(ceiling, pgbench_run(bench, quick))
                    record("pg lookups", f"fanio settle (native batch, pool {conns})", lookups, secs)
            for size in (8, 32):
                pool = await asyncpg.create_pool(PG_URL, min_size=size, max_size=size)
                record(
                    "pg lookups",
                    f"asyncpg pool {size} (gather + Semaphore)",
                    lookups,
                    await timed(lambda pool=pool: bounded(lookups, inflight, lambda i: pool.fetchrow(sql, keys[i]))),
                )
                await pool.close()
            ppool = psqlpy.ConnectionPool(dsn=PG_URL.replace("postgres://", "postgresql://"), max_db_pool_size=8)

            async def psqlpy_one(i: int) -> None:
                conn = await ppool.connection()
                (await conn.fetch_row(sql, [keys[i]])).result()
                conn.back_to_pool() if hasattr(conn, "back_to_pool") else None

            record(
                "pg lookups",
                "psqlpy pool 8 (gather + Semaphore)",
                lookups,
                await timed(lambda: bounded(lookups, inflight, psqlpy_one)),
            )
            ppool.close()
            if ceiling:
                record("pg lookups", "pgbench -S -M prepared -c32 (ceiling)", int(ceiling), 1)

            # Converting rows: a re-await of a finished op converts its outcome again without
            # any I/O, so (first await - re-await) is the query and the re-await the conversion.
            big = db.fetch_all(f"SELECT id, name, v FROM {table} ORDER BY id LIMIT 20000")
            first = await timed(lambda: big)
            again = await timed(lambda: big)
            print(
                f"  fetch_all of 20,000 rows: query+transfer {(first - again) * 1000:.1f} ms, conversion to Records {again * 1000:.1f} ms"
            )
            RESULTS.append(("pg fetch_all 20k", "query (first await - re-await)", 1, first - again))
            RESULTS.append(("pg fetch_all 20k", "conversion (re-await)", 1, again))

        # Best of 3 rounds, the four loads interleaved: one run each swings by 2x here.
        rounds = 1 if quick else 3
        print(f"Postgres: loading {bulk:,} rows (best of {rounds})")
        target = f"{table}_load"
        data = [(i, f"row {i}", i % 100) for i in range(bulk)]
        insert = f"INSERT INTO {target} VALUES ($1, $2, $3)"
        per_row = f"INSERT INTO {target} SELECT $1, $2, $3"
        apg = await asyncpg.connect(PG_URL)
        loads = [
            ("fanio execute_many", lambda: db.execute_many(insert, data)),
            # INSERT ... SELECT is left as it is: one execute per row, what the driver allows.
            ("fanio execute_many, one execute per row", lambda: db.execute_many(per_row, data)),
            ("asyncpg executemany", lambda: apg.executemany(insert, data)),
            ("fanio copy_records", lambda: db.copy_records(target, data, columns=["id", "name", "v"])),
            (
                "asyncpg copy_records_to_table",
                lambda: apg.copy_records_to_table(target, records=data, columns=["id", "name", "v"]),
            ),
        ]
        best: dict[str, float] = {}
        for _ in range(rounds):
            for name, run in loads:
                await db.execute(f"DROP TABLE IF EXISTS {target}")
                await db.execute(f"CREATE TABLE {target} (id int PRIMARY KEY, name text, v int)")
                # The last load's dirty pages are written now, not during the next one.
                await db.execute("CHECKPOINT")
                best[name] = min(best.get(name, float("inf")), await timed(run))
                assert await db.fetch_val(f"SELECT count(*) FROM {target}") == bulk
        for name, secs in best.items():
            record("pg execute_many" if "many" in name else "pg copy", name, bulk, secs)
        await apg.close()
        await db.execute(f"DROP TABLE IF EXISTS {target}")
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.close()


def pgbench_setup() -> tuple[str, dict[str, str]] | None:
    """pgbench's tables made; its executable and environment, or None (saying why)."""
    exe = shutil.which("pgbench") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if exe is None:
        print("  pgbench not found: no ceiling")
        return None
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGUSER": "postgres"}
    init = subprocess.run(
        [str(exe), "-i", "-s", "1", "-q", "-I", "dtgp", "test"], env=env, capture_output=True, text=True
    )
    if init.returncode:
        print(f"  pgbench -i failed: {init.stderr.strip()[:200]}")
        return None
    return str(exe), env


def pgbench_run(bench: tuple[str, dict[str, str]], quick: bool) -> float:
    """One pgbench -S run: its transactions per second (0 if it gave none, saying why)."""
    exe, env = bench
    seconds = 1 if quick else 5
    run = subprocess.run(
        [exe, "-S", "-M", "prepared", "-c32", "-j2", f"-T{seconds}", "test"], env=env, capture_output=True, text=True
    )
    m = re.search(r"tps = ([\d.]+)", run.stdout)
    if not m:
        print(f"  pgbench gave no tps: {run.stderr.strip()[:200]}")
        return 0.0
    return float(m.group(1))


# --- SQLite ---------------------------------------------------------------------------


async def sqlite(quick: bool) -> None:
    rows, lookups, inflight = (5_000, 2_000, 8) if quick else (100_000, 100_000, 8)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, v INTEGER)")
        conn.executemany("INSERT INTO items VALUES (?, ?, ?)", ((i, f"name {i}", i % 100) for i in range(1, rows + 1)))
        conn.commit()
        sql = "SELECT id, name, v FROM items WHERE id = ?"
        keys = ids(lookups, rows)
        print(
            f"SQLite (file, WAL): {lookups:,} primary-key lookups on {rows:,} rows, {inflight} in flight (fanio and sqlite3: best of {1 if quick else 3})"
        )
        async with await fanio.connect(f"sqlite://{path}", max_connections=inflight) as db:
            out: list[Any] = []

            async def batch() -> None:
                out[:] = await fanio.settle([db.fetch_one(sql, [k]) for k in keys], limit=inflight)

            async def loop() -> None:
                for k in keys:
                    conn.execute(sql, (k,)).fetchone()

            # Best of 3 rounds, the two interleaved: one run each swings by 2x here.
            best = {"fanio settle (native batch)": float("inf"), "sqlite3 loop (synchronous, stdlib)": float("inf")}
            for _ in range(1 if quick else 3):
                for name, run in zip(best, (batch, loop), strict=True):
                    best[name] = min(best[name], await timed(run))
            assert all(o.value["id"] == k for o, k in zip(out, keys, strict=True))  # type: ignore[union-attr]
            # What the loop thread itself spends around the batch: making the ops, and
            # building the outcomes (settling the finished ops again builds them with no I/O).
            made = time.perf_counter()
            ops = [db.fetch_one(sql, [k]) for k in keys]
            made = time.perf_counter() - made
            await fanio.settle(ops, limit=inflight)
            again = await timed(lambda: fanio.settle(ops, limit=inflight))
            goal = best["sqlite3 loop (synchronous, stdlib)"] / 1.5
            print(
                f"  on the loop thread: making the ops {made * 1e3:.1f} ms, building the outcomes {again * 1e3:.1f} ms"
                f" (1.5x the sqlite3 loop is {goal * 1e3:.1f} ms for everything)"
            )
        for name, secs in best.items():
            record("sqlite lookups", name, lookups, secs)
        conn.close()
        async with aiosqlite.connect(path) as adb:

            async def one(i: int) -> None:
                async with adb.execute(sql, (keys[i],)) as cur:
                    await cur.fetchone()

            record(
                "sqlite lookups",
                "aiosqlite (gather + Semaphore)",
                lookups,
                await timed(lambda: bounded(lookups, inflight, one)),
            )


def table() -> None:
    print(f"\n{'group':<18} {'name':<46} {'ops/s':>12} {'vs fanio':>9}")
    fanio_rate: dict[str, float] = {}
    for group, name, ops, secs in RESULTS:
        if group.endswith("20k"):
            print(f"{group:<18} {name:<46} {secs * 1000:>9.1f} ms")
            continue
        rate = ops / secs
        if name.startswith("fanio") and group not in fanio_rate:
            fanio_rate[group] = rate
        ratio = rate / fanio_rate[group] if group in fanio_rate else float("nan")
        print(f"{group:<18} {name:<46} {rate:>12,.0f} {ratio:>8.2f}x")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run")
    parser.add_argument("--bulk", action="store_true", help="only the Postgres bulk writes")
    args = parser.parse_args()
    await postgres(args.quick, args.bulk)
    if not args.bulk:
        await sqlite(args.quick)
    table()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

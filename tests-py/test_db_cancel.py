"""Transactions cut off at random points (the task cancelled while it begins, runs a
statement, or commits): every one settles promptly, with its normal outcome or a
cancellation, nothing is left half-done, and the pool serves afterwards. Against SQLite
files and Postgres."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import fanio
from dbkit import pg_or_skip, unique


async def _one(db: fanio.Database, table: str, p: str, slow: str, i: int) -> str:
    async with db.transaction() as tx:
        await tx.execute(f"INSERT INTO {table} (id) VALUES ({p})", [i])
        await tx.fetch_val(f"SELECT count(*) FROM {table}{slow}")
    return "committed"


async def _storm(db: fanio.Database, table: str, p: str, slow: str, rounds: int, concurrent: int) -> dict[str, int]:
    seen: dict[str, int] = {}

    async def cut(i: int) -> str:
        task = asyncio.create_task(_one(db, table, p, slow, i))
        r = random.random()
        if i % 8 == 0:
            pass  # one in eight runs to its end, so both outcomes are always seen
        elif r < 0.1:
            task.cancel()
        elif r < 0.2:
            await asyncio.sleep(0)
            task.cancel()
        else:
            await asyncio.sleep(random.random() * 0.03)
            task.cancel()
        try:
            # A cancelled task must end promptly: wait_for raises TimeoutError if not.
            return await asyncio.wait_for(asyncio.shield(task), 10)
        except asyncio.CancelledError:
            return "cancelled"
        except fanio.FanioError as e:
            return e.code

    for r in range(rounds):
        for outcome in await asyncio.gather(*(cut(r * concurrent + k) for k in range(concurrent))):
            seen[outcome] = seen.get(outcome, 0) + 1
    return seen


async def _cut_off(db: fanio.Database, create: str, p: str, slow: str) -> None:
    table = unique("cut")
    await db.execute(create.format(t=table))
    seen = await _storm(db, table, p, slow, rounds=30, concurrent=8)
    # A cancel that lands as the op ends may surface as fanio's Cancelled (E_CANCELLED)
    # rather than asyncio's CancelledError; nothing else may (a late cancel request once
    # stopped the next caller's statement: E_DB).
    assert {"cancelled", "committed"} <= set(seen) <= {"cancelled", "E_CANCELLED", "committed"}, seen
    assert sum(seen.values()) == 240
    # A task cancelled while its COMMIT was on the wire may still have committed; every
    # task that said so did, and nothing else left a row behind.
    rows = await db.fetch_val(f"SELECT count(*) FROM {table}")
    assert seen["committed"] <= rows <= 240
    counts = await asyncio.gather(*(db.fetch_val(f"SELECT count(*) FROM {table}") for _ in range(8)))
    assert set(counts) == {rows}
    async with db.transaction() as tx:
        assert await tx.fetch_val("SELECT 1") == 1
    await db.execute(f"DROP TABLE {table}")


async def test_transactions_cancelled_at_random_points_settle_on_sqlite(tmp_path: Path) -> None:
    db = await fanio.connect(f"sqlite://{tmp_path / 'c.db'}", max_connections=4, acquire_timeout=5)
    await _cut_off(db, "CREATE TABLE {t} (id INTEGER PRIMARY KEY)", "?", "")
    await db.close()


async def test_transactions_cancelled_at_random_points_settle_on_postgres() -> None:
    db = await pg_or_skip(max_connections=4, acquire_timeout=5)
    await _cut_off(db, "CREATE TABLE {t} (id int PRIMARY KEY)", "$1", ", pg_sleep(0.002)")
    await db.close()

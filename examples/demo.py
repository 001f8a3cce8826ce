"""fanio demo: a few thousand mixed sleep/fail ops, a limit, a progress bar (on a
terminal), then a table of outcomes by status and code and the time taken. Then the
same for HTTP: ~2,000 requests to the local testbed server, some 404s refused with
error_for_status, some that never answer cut off by a short timeout. Then an embedded
SQLite database: a bulk insert, and lookups mixed with HTTP requests in one batch."""

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import fanio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests-py"))
from testbed import testbed  # noqa: E402  (the launcher the tests use)

N = 3000
LIMIT = 200


def op(i: int) -> fanio.Op[int]:
    # The same deterministic mix as demo.mjs: mostly sleeps of 0-19 ms, every 7th op
    # fails, a few are slow enough to hit the per-op timeout.
    if i % 7 == 3:
        return fanio.fail((i % 11) / 1000, f"op {i} failed on purpose")
    if i % 250 == 0:
        return fanio.sleep(0.4, i)
    return fanio.sleep((i % 20) / 1000, i)


async def main() -> None:
    start = time.perf_counter()
    outcomes = await fanio.settle([op(i) for i in range(N)], limit=LIMIT, timeout=0.25, progress=True)
    took = time.perf_counter() - start
    table = Counter(
        "fulfilled" if isinstance(o, fanio.Fulfilled) else f"rejected {getattr(o.error, 'code', '?')}" for o in outcomes
    )
    print(f"fanio (python): {N} ops, limit {LIMIT}, timeout 250 ms")
    print(f"{'outcome':<28} {'count':>5}")
    for key, count in sorted(table.items()):
        print(f"{key:<28} {count:>5}")
    print(f"took {took * 1000:.0f} ms")
    await http_demo()


HTTP_N = 2000
HTTP_LIMIT = 64


def request(client: fanio.Client, i: int) -> fanio.Op[fanio.Response]:
    # Mostly 1 KiB bodies; every 25th a 404 that error_for_status turns into an error;
    # every 200th a server that never answers, cut off by a 300 ms timeout.
    if i % 200 == 7:
        return client.get("/never", timeout=0.3)
    if i % 25 == 3:
        return client.get(f"/status/404?i={i}", error_for_status=True)
    return client.get("/bytes/1024")


async def http_demo() -> None:
    with testbed() as tb:
        async with fanio.Client(tb.http) as client:
            start = time.perf_counter()
            outcomes = await fanio.settle([request(client, i) for i in range(HTTP_N)], limit=HTTP_LIMIT)
            took = time.perf_counter() - start
    table = Counter(
        f"fulfilled {o.value.status}" if isinstance(o, fanio.Fulfilled) else f"rejected {getattr(o.error, 'code', '?')}"
        for o in outcomes
    )
    print(f"\nfanio HTTP (python): {HTTP_N} GETs to the local testbed, limit {HTTP_LIMIT}")
    print(f"{'outcome':<28} {'count':>5}")
    for key, count in sorted(table.items()):
        print(f"{key:<28} {count:>5}")
    print(f"took {took * 1000:.0f} ms")


async def database_demo() -> None:
    """Embedded SQLite in a temp dir: a table filled with execute_many, then one bounded
    batch of point lookups (every 10th for an id that does not exist: NoRows) mixed with
    HTTP GETs to the local testbed, the whole batch settled in Rust."""
    rows, lookups, gets = 5000, 2000, 500
    with tempfile.TemporaryDirectory() as tmp, testbed() as tb:
        async with (
            await fanio.connect(f"sqlite://{Path(tmp) / 'demo.db'}", max_connections=4) as db,
            fanio.Client(tb.http) as client,
        ):
            await db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL)")
            start = time.perf_counter()
            await db.execute_many(
                "INSERT INTO items VALUES (?, ?, ?)", [(i, f"item {i}", i * 0.5) for i in range(rows)]
            )
            filled = time.perf_counter() - start
            ids = [i * 7 % rows if i % 10 else rows + i for i in range(lookups)]
            ops: list[fanio.Op[object]] = []
            for i, ident in enumerate(ids):
                ops.append(db.fetch_one("SELECT id, name, price FROM items WHERE id = ?", [ident]))
                if i % 4 == 3:  # one GET after every 4th lookup
                    ops.append(client.get(f"/bytes/{(i % 8) * 128}"))
            start = time.perf_counter()
            outcomes = await fanio.settle(ops, limit=32)
            took = time.perf_counter() - start

    def label(o: fanio.Fulfilled[object] | fanio.Rejected[BaseException]) -> str:
        if isinstance(o, fanio.Rejected):
            return f"rejected {getattr(o.error, 'code', '?')}"
        return f"fulfilled HTTP {o.value.status}" if isinstance(o.value, fanio.Response) else "fulfilled row"

    table = Counter(label(o) for o in outcomes)
    first = next(o.value for o in outcomes if isinstance(o, fanio.Fulfilled))
    print(f"\nfanio (python) database: SQLite, {rows} rows by execute_many in {filled * 1000:.0f} ms")
    print(
        f"{lookups} fetch_one lookups (every 10th id missing) and {gets} HTTP GETs in one batch, limit 32; first: {first!r}"
    )
    print(f"{'outcome':<28} {'count':>5}")
    for key, count in sorted(table.items()):
        print(f"{key:<28} {count:>5}")
    print(f"took {took * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
    asyncio.run(database_demo())

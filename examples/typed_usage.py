"""Type-checks the public API (`mypy --strict examples/typed_usage.py` in make test)."""

import asyncio

import fanio


async def main() -> None:
    name: str = await fanio.sleep(0.01, "typed")
    await fanio.sleep(0)
    outcomes: list[fanio.Fulfilled[int] | fanio.Rejected[BaseException]] = await fanio.settle(
        [fanio.sleep(0.001, i) for i in range(3)], limit=2, timeout=1.0, on_progress=lambda d, t: None
    )
    for outcome in outcomes:
        match outcome:
            case fanio.Fulfilled(value):
                print(value + 1)
            case fanio.Rejected(error):
                print(type(error).__name__)
    values: list[int] = await fanio.gather(*[fanio.sleep(0, i) for i in range(3)], limit=2)
    async for index, item in fanio.as_settled([fanio.sleep(0, "x")], limit=1):
        print(index, item.status)
    try:
        await fanio.fail(0, "boom")
    except fanio.FanioError as e:
        code: str = e.code
        print(code, name, values, fanio.op_stats()["running"])

    await databases()


async def databases() -> None:
    async with await fanio.connect("sqlite::memory:", max_connections=1, acquire_timeout=2.0) as db:
        affected: int = await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        await db.execute_many("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b")])
        await db.copy_records("t", [(3, "c")], columns=["id", "name"])
        rows: list[fanio.Record] = await db.fetch_all("SELECT id, name FROM t WHERE id > ?", [0])
        one: fanio.Record = await db.fetch_one("SELECT name FROM t WHERE id = :id", {"id": 1})
        maybe: fanio.Record | None = await db.fetch_optional("SELECT 1 WHERE 0")
        count = await db.fetch_val("SELECT count(*) FROM t")
        print(affected, [dict(r) for r in rows], one["name"], one[0], maybe, count)
        async with db.transaction(isolation="serializable", read_only=False) as tx:
            await tx.execute("DELETE FROM t WHERE id = ?", [3])
        lookups = [db.fetch_one("SELECT name FROM t WHERE id = ?", [i]) for i in range(1, 5)]
        for outcome in await fanio.settle(lookups, limit=32):
            if isinstance(outcome, fanio.Rejected) and isinstance(outcome.error, fanio.NoRows):
                print("missing")
        try:
            await db.execute("INSERT INTO t VALUES (1, 'dup')")
        except fanio.IntegrityError as e:
            sqlstate: str | None = e.sqlstate
            print(sqlstate, e.code)


if __name__ == "__main__":
    asyncio.run(main())

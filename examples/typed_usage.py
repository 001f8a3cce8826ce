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


async def http(base: str) -> None:
    retry = fanio.Retry(attempts=2, backoff=0.05, on_status={503}, methods=None)
    async with fanio.Client(
        base, headers={"x-app": "typed"}, timeout=5.0, retry=retry, max_connections_per_host=8, http2="never"
    ) as client:
        op: fanio.Op[fanio.Response] = client.get("/bytes/10", params={"a": [1, 2]})
        response = await op
        status: int = response.status
        body: bytes = response.content
        content_type: str | None = response.headers.get("content-type")
        all_cookies: list[str] = response.headers.get_all("set-cookie")
        seconds: float = response.elapsed
        print(status, len(body), content_type, all_cookies, seconds, response.text(), response.raise_for_status())
        await client.post("/echo", json={"k": [1, None]}, headers=[("x-a", "1")])
        outcomes = await client.fetch_all(
            ["/bytes/1", {"url": "/echo", "method": "PUT", "content": b"x"}], limit=4, fail_fast=False
        )
        for outcome in outcomes:
            match outcome:
                case fanio.Fulfilled(resp):
                    print(resp.status, resp.json())
                case fanio.Rejected(fanio.HttpStatusError() as e):
                    print(e.status, e.url)
                case fanio.Rejected(error):
                    print(error)
        async for index, item in fanio.as_settled(client.get(f"/bytes/{n}") for n in range(3)):
            print(index, item.status)
        async with client.stream("GET", "/stream/3") as streamed:
            async for chunk in streamed.aiter_bytes():
                size: int = len(chunk)
                print(size)
            await streamed.aclose()


if __name__ == "__main__":
    asyncio.run(main())

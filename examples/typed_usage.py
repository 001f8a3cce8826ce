"""Type-checks the public API (`mypy --strict examples/typed_usage.py` in make test)."""

import asyncio

import fanio


async def main() -> None:
    name: str = await fanio.sleep(0.01, "typed")
    await fanio.sleep(0)
    # A batch of fanio ops rejects only with FanioErrors: `error.code` needs no narrowing.
    outcomes: list[fanio.Fulfilled[int] | fanio.Rejected[fanio.FanioError]] = await fanio.settle(
        [fanio.sleep(0.001, i) for i in range(3)], limit=2, timeout=1.0, on_progress=lambda d, t: None
    )
    for outcome in outcomes:
        match outcome:
            case fanio.Fulfilled(value):
                print(value + 1)
            case fanio.Rejected(error):
                failed: str = error.code
                print(failed, type(error).__name__)
    # Any awaitable may raise anything: narrow to FanioError for its code.
    for settled in await fanio.settle([fanio.sleep(0, 1), asyncio.sleep(0, 2)]):
        match settled:
            case fanio.Fulfilled(number):
                total: int = number + 1
                print(total)
            case fanio.Rejected(fanio.FanioError() as e):
                print(e.code)
            case fanio.Rejected(other):
                raised: BaseException = other
                print(raised)
    values: list[int] = await fanio.gather(*[fanio.sleep(0, i) for i in range(3)], limit=2)
    # Like asyncio.gather: a few awaitables give a tuple of their own types.
    word, count = await fanio.gather(fanio.sleep(0, "w"), fanio.sleep(0, 7), limit=2)
    pair: tuple[str, int] = (word.upper(), count + 1)
    slept, host = await fanio.gather(fanio.sleep(0), asyncio.sleep(0, b"x"), return_exceptions=True)
    maybe_none: None | BaseException = slept
    maybe_bytes: bytes | BaseException = host
    print(pair, maybe_none, maybe_bytes)
    async for index, item in fanio.as_settled([fanio.sleep(0, "x")], limit=1):
        if isinstance(item, fanio.Rejected):
            print(index, item.error.code)
        else:
            print(index, item.value.upper())
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
        for fetched in outcomes:
            if fetched.status == "rejected":
                print(fetched.error.code)
        async with client.stream("GET", "/stream/3") as streamed:
            async for chunk in streamed.aiter_bytes():
                size: int = len(chunk)
                print(size)
            await streamed.aclose()


async def mixed(client: fanio.Client, db: fanio.Database, ids: list[int]) -> None:
    """One batch of HTTP requests and queries, as a user writes it."""
    ops: list[fanio.Op[fanio.Response | fanio.Record]] = [client.get(f"/users/{i}") for i in ids]
    ops += [db.fetch_one("SELECT name FROM users WHERE id = ?", [i]) for i in ids]
    for outcome in await fanio.settle(ops, limit=32):
        match outcome:
            case fanio.Fulfilled(fanio.Response() as resp):
                print(resp.status)
            case fanio.Fulfilled(fanio.Record() as row):
                print(row["name"])
            case fanio.Rejected(error):
                print(error.code)
    # Built without an annotation, the list mixes too; its values are `object` until matched.
    lookups = [client.get("/health")] + [db.fetch_val("SELECT 1")]
    for index, outcome in enumerate(await fanio.settle(lookups)):
        if isinstance(outcome, fanio.Rejected):
            print(index, outcome.error.code)
    user, one = await fanio.gather(client.get("/users/1"), db.fetch_one("SELECT 1 AS one"))
    status: int = user.status
    print(status, one["one"])


if __name__ == "__main__":
    asyncio.run(main())

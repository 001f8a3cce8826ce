"""The database API from Python: every call and option, transactions, the pool under
pressure, cancellation reaching the server, batches, errors and closing."""

from __future__ import annotations

import asyncio
import pickle
import time
from collections.abc import AsyncIterator
from pathlib import Path

import fanio
import pytest
from conftest import eventually_no_running_ops
from dbkit import PG_URL, pg_or_skip, unique

from testbed import Testbed as Server  # not `Testbed`: pytest would try to collect it

ITEMS = "CREATE TABLE {t} (id int PRIMARY KEY, name text NOT NULL UNIQUE, qty int)"


@pytest.fixture
async def pg() -> AsyncIterator[fanio.Database]:
    db = await pg_or_skip(max_connections=4)
    yield db
    await db.close()


@pytest.fixture
async def table(pg: fanio.Database) -> AsyncIterator[str]:
    t = unique()
    await pg.execute(ITEMS.format(t=t))
    yield t
    await pg.execute(f"DROP TABLE IF EXISTS {t}")


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[fanio.Database]:
    db = await fanio.connect(f"sqlite://{tmp_path / 'x.db'}", max_connections=4)
    await db.execute(ITEMS.format(t="items"))
    yield db
    await db.close()


# --- calls and records ----------------------------------------------------------------


async def test_every_call_on_postgres(pg: fanio.Database, table: str) -> None:
    assert await pg.execute(f"INSERT INTO {table} VALUES ($1, $2, $3)", [1, "a", 5]) == 1
    assert await pg.execute_many(f"INSERT INTO {table} VALUES ($1, $2, $3)", [(2, "b", 6), [3, "c", None]]) == 2
    rows = await pg.fetch_all(f"SELECT id, name, qty FROM {table} ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, "a", 5), (2, "b", 6), (3, "c", None)]
    one = await pg.fetch_one(f"SELECT id, name FROM {table} WHERE id = $1", (2,))
    assert (one["id"], one["name"], one[0], one[-1]) == (2, "b", 2, "b")
    assert await pg.fetch_optional(f"SELECT 1 FROM {table} WHERE id = 99") is None
    assert await pg.fetch_val(f"SELECT count(*) FROM {table}") == 3
    with pytest.raises(fanio.NoRows) as e:
        await pg.fetch_one(f"SELECT 1 FROM {table} WHERE id = 99")
    assert e.value.code == "E_NO_ROWS"
    assert await pg.copy_records(table, [(4, "d", 1), (5, "e", 2)], columns=["id", "name", "qty"]) == 2
    assert await pg.fetch_val(f"SELECT sum(qty) FROM {table}") == 14


async def test_record_reads_like_asyncpg(lite: fanio.Database) -> None:
    rec = await lite.fetch_one("SELECT 1 AS id, 'x' AS name, NULL AS gone")
    assert isinstance(rec, fanio.Record)
    assert len(rec) == 3 and list(rec) == [1, "x", None]
    assert list(rec.keys()) == ["id", "name", "gone"] and list(rec.values()) == [1, "x", None]
    assert list(rec.items()) == [("id", 1), ("name", "x"), ("gone", None)]
    assert dict(rec) == {"id": 1, "name": "x", "gone": None}
    assert rec.get("name") == "x" and rec.get("nope") is None and rec.get("nope", 7) == 7
    assert "name" in rec and "nope" not in rec
    assert rec[1:] == ("x", None)
    assert repr(rec) == "<Record id=1 name='x' gone=None>"
    assert rec == (1, "x", None) and rec == await lite.fetch_one("SELECT 1 AS a, 'x' AS b, NULL AS c")
    assert rec != (1, "y", None) and hash(rec) == hash((1, "x", None))
    with pytest.raises(KeyError):
        rec["nope"]
    with pytest.raises(IndexError):
        rec[3]


async def test_sqlite_named_and_positional_params(lite: fanio.Database) -> None:
    assert await lite.execute("INSERT INTO items VALUES (:id, :name, :qty)", {"id": 1, "name": "a", "qty": 2}) == 1
    assert await lite.fetch_val("SELECT name FROM items WHERE id = ?", [1]) == "a"
    assert (
        await lite.execute_many("INSERT INTO items VALUES (?, ?, ?)", [(i, f"n{i}", i) for i in range(2, 102)]) == 100
    )
    assert await lite.copy_records("items", [(200, "z", None)], columns=["id", "name", "qty"]) == 1
    assert await lite.fetch_val("SELECT count(*) FROM items") == 102


async def test_params_that_cannot_be_sent_name_their_index(lite: fanio.Database) -> None:
    with pytest.raises(fanio.InvalidArgument) as e:
        lite.fetch_val("SELECT ?, ?", [1, object()])  # raised when the op is made
    assert e.value.index == 2
    with pytest.raises(fanio.InvalidArgument) as e:
        lite.execute_many("SELECT ?", [[1], [2], [{1: 2}]])
    assert (e.value.row, e.value.index) == (2, 1)
    with pytest.raises(fanio.InvalidArgument):
        lite.fetch_val("SELECT ?", "not a sequence")
    with pytest.raises(fanio.InvalidArgument):
        lite.fetch_val("SELECT ?", [[1, [2]]])  # an array mixing values and lists


# --- connect options ------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"max_connections": 0},
        {"max_connections": 2, "min_connections": 3},
        {"max_connections": 1.5},
        {"max_connections": True},
        {"acquire_timeout": -1},
        {"acquire_timeout": 0},
        {"acquire_timeout": "1"},
        {"statement_cache_size": -1},
    ],
)
def test_bad_options_raise_at_once(options: dict[str, object]) -> None:
    with pytest.raises(fanio.InvalidArgument):
        fanio.connect("sqlite::memory:", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:relative", "postgres://u:p@h:notaport/db", ""])
def test_bad_urls_raise_at_once(url: str) -> None:
    with pytest.raises(fanio.InvalidArgument):
        fanio.connect(url)


async def test_good_options_are_taken(tmp_path: Path) -> None:
    db = await fanio.connect(
        f"sqlite://{tmp_path / 'o.db'}",
        max_connections=2,
        min_connections=1,
        acquire_timeout=0.5,
        statement_cache_size=0,
    )
    async with db:
        assert await db.fetch_val("SELECT 41 + 1") == 42
    assert db.closed


async def test_unreachable_server_is_a_quick_connect_error() -> None:
    start = time.monotonic()
    with pytest.raises(fanio.ConnectError) as e:
        await fanio.connect("postgres://postgres:hunter2@127.0.0.1:1/test")
    assert time.monotonic() - start < 5
    assert "hunter2" not in str(e.value) and "hunter2" not in repr(e.value)


async def test_password_never_shown(pg: fanio.Database) -> None:
    url = PG_URL.replace("postgres://postgres@", "postgres://postgres:s3cr3t@")
    db = await fanio.connect(url)  # trust auth: the password is not checked
    assert "s3cr3t" not in repr(db) and "***" in repr(db)
    await db.close()
    with pytest.raises(fanio.ClosedError) as e:
        await db.fetch_val("SELECT 1")
    assert "s3cr3t" not in str(e.value)


# --- transactions ---------------------------------------------------------------------


async def test_transaction_commits_and_rolls_back(pg: fanio.Database, table: str) -> None:
    async with pg.transaction() as tx:
        assert isinstance(tx, fanio.Transaction)
        await tx.execute(f"INSERT INTO {table} VALUES (1, 'a', 1)")
        assert await tx.fetch_val(f"SELECT count(*) FROM {table}") == 1
    with pytest.raises(ZeroDivisionError):
        async with pg.transaction() as tx:
            await tx.execute(f"INSERT INTO {table} VALUES (2, 'b', 1)")
            raise ZeroDivisionError
    assert await pg.fetch_val(f"SELECT array_agg(id) FROM {table}") == [1]
    with pytest.raises(fanio.ClosedError):
        await tx.fetch_val("SELECT 1")  # the transaction has ended


async def test_transaction_rolls_back_when_the_task_is_cancelled(pg: fanio.Database, table: str) -> None:
    entered = asyncio.Event()

    async def body() -> None:
        async with pg.transaction() as tx:
            await tx.execute(f"INSERT INTO {table} VALUES (1, 'a', 1)")
            entered.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(body())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pg.fetch_val(f"SELECT count(*) FROM {table}") == 0
    # No connection came back mid-transaction: on one that had, the insert would be
    # visible and a transaction id assigned. Run on every pooled connection at once.
    checks = [pg.fetch_one(f"SELECT count(*) AS n, txid_current_if_assigned() AS xid FROM {table}") for _ in range(16)]
    assert [(o.value["n"], o.value["xid"]) for o in await fanio.settle(checks)] == [(0, None)] * 16  # type: ignore[union-attr]


async def test_isolation_and_read_only(pg: fanio.Database, table: str) -> None:
    for level, shown in [
        ("read_committed", "read committed"),
        ("repeatable_read", "repeatable read"),
        ("serializable", "serializable"),
    ]:
        async with pg.transaction(isolation=level) as tx:
            assert await tx.fetch_val("SHOW transaction_isolation") == shown
    async with pg.transaction(read_only=True) as tx:
        assert await tx.fetch_val("SHOW transaction_read_only") == "on"
        with pytest.raises(fanio.DatabaseError) as e:
            await tx.execute(f"INSERT INTO {table} VALUES (1, 'a', 1)")
        assert e.value.sqlstate == "25006"
    with pytest.raises(fanio.InvalidArgument):
        pg.transaction(isolation="chaos")


async def test_sqlite_transaction(lite: fanio.Database) -> None:
    async with lite.transaction() as tx:
        await tx.execute("INSERT INTO items VALUES (1, 'a', 1)")
    with pytest.raises(fanio.IntegrityError) as e:
        async with lite.transaction() as tx:
            await tx.execute("INSERT INTO items VALUES (2, 'b', 1)")
            await tx.execute("INSERT INTO items VALUES (3, 'a', 1)")
    assert e.value.sqlite_code & 0xFF == 19
    assert await lite.fetch_val("SELECT count(*) FROM items") == 1


async def test_execute_many_is_one_transaction(pg: fanio.Database, table: str) -> None:
    with pytest.raises(fanio.IntegrityError) as e:
        await pg.execute_many(f"INSERT INTO {table} VALUES ($1, $2, 0)", [(1, "a"), (2, "b"), (3, "a")])
    assert (e.value.sqlstate, e.value.constraint, e.value.row) == ("23505", f"{table}_name_key", 2)
    assert await pg.fetch_val(f"SELECT count(*) FROM {table}") == 0
    # Any iterable of rows, also one without a length.
    rows = ((i, f"n{i}", 0) for i in range(3000))
    assert await pg.execute_many(f"INSERT INTO {table} VALUES ($1, $2, $3)", rows) == 3000


async def test_execute_many_in_a_transaction_leaves_nothing_of_itself_when_it_fails(
    pg: fanio.Database, table: str
) -> None:
    insert = f"INSERT INTO {table} VALUES ($1, $2, $3)"
    async with pg.transaction() as tx:
        await tx.execute(insert, [-1, "kept", 0])
        rows: list[tuple[object, ...]] = [(i, f"n{i}", i) for i in range(2000)]
        rows[1500] = ("1500", "n1500", 0)  # text for an int column: refused before anything is sent
        with pytest.raises(fanio.InvalidArgument) as bad:
            await tx.execute_many(insert, rows)
        assert (bad.value.row, bad.value.index) == (1500, 1)
        assert await tx.fetch_val(f"SELECT count(*) FROM {table}") == 1
        rows[1500] = (1500, "n3", 0)  # the name of row 3 again
        with pytest.raises(fanio.IntegrityError) as dup:
            await tx.execute_many(insert, rows)
        assert (dup.value.row, dup.value.sqlstate) == (1500, "23505")
        with pytest.raises(fanio.DatabaseError) as aborted:
            await tx.fetch_val("SELECT 1")
        assert aborted.value.sqlstate == "25P02"
    assert await pg.fetch_val(f"SELECT count(*) FROM {table}") == 0


# --- the pool under pressure ----------------------------------------------------------


async def test_pool_exhaustion_times_out_then_recovers() -> None:
    db = await pg_or_skip(max_connections=1, acquire_timeout=0.3)
    try:
        async with db.transaction() as tx:
            await tx.fetch_val("SELECT 1")
            start = time.monotonic()
            with pytest.raises(fanio.PoolTimeout) as e:
                async with db.transaction():
                    pass
            assert e.value.code == "E_POOL_TIMEOUT" and isinstance(e.value, TimeoutError)
            assert 0.25 < time.monotonic() - start < 5
        assert await db.fetch_val("SELECT 2") == 2
    finally:
        await db.close()


async def test_cancelling_a_query_cancels_it_on_the_server(pg: fanio.Database) -> None:
    # The watcher has its own pool: queries of one pool may pipeline behind the sleeper.
    async with await pg_or_skip(max_connections=1) as watcher:
        await cancel_and_watch(pg, watcher)


async def cancel_and_watch(pg: fanio.Database, watcher: fanio.Database) -> None:
    tag = unique("sleeper")
    task = asyncio.ensure_future(pg.execute(f"SELECT pg_sleep(30) /* {tag} */"))
    watch = f"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{tag}%' AND state = 'active' AND pid <> pg_backend_pid()"
    for _ in range(100):
        if await watcher.fetch_val(watch):
            break
        await asyncio.sleep(0.02)
    assert await watcher.fetch_val(watch) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(250):
        if await watcher.fetch_val(watch) == 0:
            break
        await asyncio.sleep(0.02)
    assert await watcher.fetch_val(watch) == 0
    assert await eventually_no_running_ops() == 0
    assert await pg.fetch_val("SELECT 3") == 3


async def test_terminated_backends_cost_at_most_one_error() -> None:
    db = await pg_or_skip(max_connections=2, min_connections=2)
    admin = await pg_or_skip(max_connections=1)
    try:
        pids = {await db.fetch_val("SELECT pg_backend_pid()") for _ in range(4)}
        killed = await admin.fetch_val("SELECT count(pg_terminate_backend(p)) FROM unnest($1::int4[]) p", [list(pids)])
        assert killed == len(pids)
        failures = 0
        for _ in range(6):
            try:
                assert await db.fetch_val("SELECT 4") == 4
            except fanio.FanioError:
                failures += 1
        assert failures <= 1
    finally:
        await db.close()
        await admin.close()


# --- batches --------------------------------------------------------------------------


async def test_native_batch_of_lookups(pg: fanio.Database) -> None:
    t = unique()
    await pg.execute(f"CREATE TABLE {t} AS SELECT g AS id, 'n' || g AS name FROM generate_series(1, 5000) g")
    try:
        await pg.execute(f"ALTER TABLE {t} ADD PRIMARY KEY (id)")
        ops = [pg.fetch_one(f"SELECT id, name FROM {t} WHERE id = $1", [i]) for i in range(1, 5001)]
        fanio.reset_op_stats()
        out = await fanio.settle(ops, limit=32)
        assert fanio.op_stats()["peak"] <= 32
        assert all(o.status == "fulfilled" for o in out)
        assert all(o.value["id"] == i and o.value["name"] == f"n{i}" for i, o in enumerate(out, 1))  # type: ignore[union-attr]
    finally:
        await pg.execute(f"DROP TABLE {t}")


async def test_native_batch_of_sqlite_lookups_runs_at_most_limit(lite: fanio.Database) -> None:
    fanio.reset_op_stats()
    out = await fanio.settle([lite.fetch_one("SELECT ? AS v", [i]) for i in range(300)], limit=4)
    assert 1 <= fanio.op_stats()["peak"] <= 4
    assert [o.value["v"] for o in out] == list(range(300))  # type: ignore[union-attr]


async def test_batch_mixing_db_http_and_sleep_ops(lite: fanio.Database, testbed: Server) -> None:
    async with fanio.Client(testbed.http) as client:
        ops: list[fanio.Op[object]] = []
        for i in range(50):
            ops.append(lite.fetch_val("SELECT ?", [i]))
            ops.append(fanio.sleep(0.001, -i))
            ops.append(client.get(f"/bytes/{i}"))
        ops.append(lite.fetch_one("SELECT 1 WHERE 0"))
        fanio.reset_op_stats()
        out = await fanio.settle(ops, limit=8)
    assert fanio.op_stats()["peak"] <= 8
    values = [o.value for o in out[:-1]]  # type: ignore[union-attr]
    assert values[0::3] == list(range(50)) and values[1::3] == [-i for i in range(50)]
    assert [(r.status, len(r.content)) for r in values[2::3]] == [(200, i) for i in range(50)]
    assert isinstance(out[-1], fanio.Rejected) and out[-1].error.code == "E_NO_ROWS"


async def copy_reads_rows_as_it_runs(db: fanio.Database, t: str) -> None:
    # copy_records converts its rows while the load runs (chunk by chunk, off the loop):
    # a bad value far into the rows still names its row and index, and loads nothing.
    cols = ["id", "name", "qty"]
    rows: list[tuple[object, ...]] = [(i, f"n{i}", i % 7) for i in range(10_000)]
    rows[9_000] = (9_000, "n9000", object())
    with pytest.raises(fanio.InvalidArgument) as e:
        await db.copy_records(t, rows, columns=cols)
    assert (e.value.code, e.value.fields["row"], e.value.fields["index"]) == ("E_INVALID_ARGUMENT", 9_000, 3)
    assert await db.fetch_val(f"SELECT count(*) FROM {t}") == 0
    # The list of rows is copied when the op is made: adding to it later adds nothing.
    rows[9_000] = (9_000, "n9000", 1)
    op = db.copy_records(t, iter(rows), columns=cols)
    rows.append((10_000, "late", 1))
    assert await op == 10_000
    assert await db.fetch_val(f"SELECT sum(qty) FROM {t}") == sum(i % 7 for i in range(10_000)) - 9_000 % 7 + 1


async def test_copy_reads_rows_as_it_runs_on_postgres(pg: fanio.Database, table: str) -> None:
    await copy_reads_rows_as_it_runs(pg, table)


async def test_copy_reads_rows_as_it_runs_on_sqlite(lite: fanio.Database) -> None:
    await copy_reads_rows_as_it_runs(lite, "items")


async def test_nothing_spins_once_a_sqlite_batch_is_done(tmp_path: Path) -> None:
    # The connection threads and the batch's driver spin while answers come fast; once
    # the batch is over they must sleep. Spinning threads would burn ~300 ms each here.
    async with await fanio.connect(f"sqlite://{tmp_path / 'idle.db'}", max_connections=3) as db:
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        await db.execute("INSERT INTO t VALUES (1, 'x')")
        out = await fanio.settle([db.fetch_val("SELECT v FROM t WHERE id = ?", [1]) for _ in range(5000)], limit=8)
        assert [o.value for o in out] == ["x"] * 5000  # type: ignore[union-attr]
        before = time.process_time()  # every thread of the process
        time.sleep(0.3)  # blocks the loop too: only background threads could run
        spent = time.process_time() - before
        assert spent < 0.06, f"{spent * 1000:.0f} ms of CPU while idle"


# --- errors and closing ---------------------------------------------------------------


async def test_database_error_fields(pg: fanio.Database, table: str) -> None:
    await pg.execute(f"INSERT INTO {table} VALUES (1, 'a', 1)")
    with pytest.raises(fanio.IntegrityError) as e:
        await pg.execute(f"INSERT INTO {table} VALUES (2, 'a', 1)")
    err = e.value
    assert (err.code, err.sqlstate, err.constraint, err.table) == ("E_DB", "23505", f"{table}_name_key", table)
    assert "a" in (err.detail or "")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is fanio.IntegrityError and again.sqlstate == "23505"
    with pytest.raises(fanio.DatabaseError) as e2:
        await pg.execute("SELEC 1")
    assert not isinstance(e2.value, fanio.IntegrityError) and e2.value.sqlstate == "42601"
    assert e2.value.constraint is None


async def test_closed_database(tmp_path: Path) -> None:
    db = await fanio.connect(f"sqlite://{tmp_path / 'c.db'}")
    op = db.fetch_val("SELECT 1")
    await db.close()
    assert db.closed
    with pytest.raises(fanio.ClosedError):
        await op
    with pytest.raises(fanio.ClosedError):
        await db.execute("SELECT 1")


DB_PASSWORDS = ["hun/ter2", "hun?ter2", "hun#ter2", "hun@ter2", "hun%2Fter2", "hun%3Fter2", "hun%40ter2"]


@pytest.mark.parametrize("password", DB_PASSWORDS)
async def test_a_password_written_any_way_never_shows(password: str) -> None:
    for host in ("127.0.0.1:1", "[::1]:1"):
        with pytest.raises(fanio.FanioError) as e:
            await fanio.connect(f"postgres://postgres:{password}@{host}/test")
        assert e.value.code in ("E_CONNECT", "E_INVALID_ARGUMENT")
        told = " ".join([str(e.value), repr(e.value), *(repr(getattr(e.value, n)) for n in e.value.fields)])
        assert "ter2" not in told


@pytest.mark.parametrize("password", ["s3/cr3t", "s3?cr3t", "s3%2Fcr3t"])
async def test_the_repr_hides_a_password_holding_slash_or_question_mark(pg: fanio.Database, password: str) -> None:
    url = PG_URL.replace("postgres://postgres@", f"postgres://postgres:{password}@")
    db = await fanio.connect(url)  # trust auth: the password is not checked
    assert "cr3t" not in repr(db) and "***" in repr(db)
    await db.close()


@pytest.mark.parametrize("url", ["postgres://u@h/db\r\n", "postgres://u@h/d\x00b", "sqlite:///tmp/a\nb.db"])
def test_cr_lf_or_nul_in_a_database_url_is_invalid(url: str) -> None:
    with pytest.raises(fanio.InvalidArgument):
        fanio.connect(url)

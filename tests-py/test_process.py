"""The runtime across a process's life: worker count, fork, interpreter exit, the
progress bar on a terminal. Each runs in a fresh interpreter."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

import pytest
from conftest import run_script
from dbkit import PG_URL

from testbed import Testbed as Server  # not `Testbed`: pytest would try to collect it

COUNT_WORKERS = """
    import asyncio, os, fanio
    async def main():
        await fanio.sleep(0.01)
    asyncio.run(main())
    names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    print(sum(n == "fanio-worker" for n in names))
"""


def test_worker_threads_default_to_the_cpu_count_and_follow_the_environment() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FANIO_WORKER_THREADS"}
    default = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(COUNT_WORKERS)], capture_output=True, text=True, env=env, timeout=60
    )
    assert default.stdout.strip() == str(len(os.sched_getaffinity(0))), default.stderr
    one = run_script(COUNT_WORKERS, env={"FANIO_WORKER_THREADS": "1"})
    assert one.stdout.strip() == "1", one.stderr
    three = run_script(COUNT_WORKERS, env={"FANIO_WORKER_THREADS": "3"})
    assert three.stdout.strip() == "3", three.stderr


def test_a_forked_child_gets_a_working_runtime() -> None:
    result = run_script(
        """
        import asyncio, os, sys, fanio

        async def wait(op):
            return await op

        print(asyncio.run(wait(fanio.sleep(0.01, "parent"))), flush=True)
        pid = os.fork()
        if pid == 0:
            outcomes = asyncio.run(fanio.settle([fanio.sleep(0.01, "child"), fanio.fail(0, "x")], limit=1))
            ok = outcomes[0].value == "child" and outcomes[1].error.code == "E_FAILED"
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print("child exit", os.waitstatus_to_exitcode(status))
        print(asyncio.run(wait(fanio.sleep(0.01, "parent again"))))
    """,
        timeout=30,
    )
    assert result.stdout.split("\n")[:3] == ["parent", "child exit 0", "parent again"], result.stderr
    assert result.returncode == 0


FORKS = """
    import asyncio, os, sys, threading, time, fanio

    HTTP, PG, DIR, MODE = (os.environ[k] for k in ("FORK_HTTP", "FORK_PG", "FORK_DIR", "FORK_MODE"))
    FORKS = int(os.environ["FORK_COUNT"])
    held = {}

    async def warm_up():
        held["lite"] = lite = await fanio.connect(f"sqlite://{DIR}/parent.db", max_connections=4)
        await lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        await lite.execute_many("INSERT INTO t VALUES (?, ?)", [(i, "x" * 50) for i in range(2000)])
        held["client"] = client = fanio.Client(HTTP)
        await fanio.settle([client.get("/slow?delay_ms=1") for _ in range(8)], limit=8)
        if PG:
            held["pg"] = await fanio.connect(PG, max_connections=2)
            await held["pg"].fetch_val("SELECT 1")

    async def keep_busy(stop):
        # Lookups, writes, and connections opened and closed, all the while.
        lite = held["lite"]
        while not stop.is_set():
            await fanio.settle([lite.fetch_one("SELECT v FROM t WHERE id = ?", [i]) for i in range(500)], limit=16)
            await lite.execute("UPDATE t SET v = ? WHERE id = ?", ["y", 1])
            scratch = await fanio.connect(f"sqlite://{DIR}/scratch.db", max_connections=3)
            await scratch.execute("CREATE TABLE IF NOT EXISTS s (x)")
            await scratch.close()

    async def open_and_close():
        db = await fanio.connect(f"sqlite://{DIR}/closed.db", max_connections=3)
        await db.fetch_val("SELECT 1")
        await db.close()

    async def child(i):
        db = await fanio.connect(f"sqlite://{DIR}/child{i}.db", max_connections=3)
        await db.execute("CREATE TABLE c (x INTEGER)")
        await db.execute_many("INSERT INTO c VALUES (?)", [(n,) for n in range(10)])
        got = [await db.fetch_val("SELECT sum(x) FROM c")]
        await db.close()
        got.append(await (await fanio.connect("sqlite::memory:")).fetch_val("SELECT 1"))
        # The parent's client serves the child; the parent's databases say they are not
        # the child's, at once.
        got.append((await held["client"].get("/slow?delay_ms=1")).status)
        for name in ("lite", "pg"):
            try:
                await held[name].fetch_val("SELECT 1") if name in held else None
                got.append("usable")
            except fanio.ClosedError:
                got.append("closed")
        if PG:
            pg = await fanio.connect(PG)
            got.append(await pg.fetch_val("SELECT 2"))
            await pg.close()
        want = [45, 1, 200, "closed", "closed" if PG else "usable"] + ([2] if PG else [])
        if got != want:
            print("child", i, "got", got, file=sys.stderr, flush=True)
        return got == want

    asyncio.run(warm_up())
    stop = threading.Event()
    busy = threading.Thread(target=lambda: asyncio.run(keep_busy(stop)))
    if MODE == "busy":
        busy.start()
        time.sleep(0.2)
    codes = []
    for i in range(FORKS):
        if MODE == "closed":
            asyncio.run(open_and_close())
        pid = os.fork()
        if pid == 0:
            try:
                ok = asyncio.run(asyncio.wait_for(child(i), 10))
            except BaseException as e:
                print("child", i, type(e).__name__, e, file=sys.stderr, flush=True)
                ok = False
            os._exit(0 if ok else 3)
        # Each child has its time; one that outlives it hung, and is killed.
        deadline = time.monotonic() + 15
        while not (done := os.waitpid(pid, os.WNOHANG))[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        if not done[0]:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            codes.append("hung")
        else:
            codes.append(os.waitstatus_to_exitcode(done[1]))
    stop.set()
    if busy.is_alive():
        busy.join()
    print(codes.count(0), [c for c in codes if c != 0])
"""


def _postgres_url() -> str:
    """PG_URL when Postgres answers (the children then use it), else ''."""
    probe = run_script(
        f"""
        import asyncio, fanio
        async def main():
            db = await asyncio.wait_for(fanio.connect({PG_URL!r}), 10)
            await db.close()
        asyncio.run(main())
        """
    )
    if probe.returncode != 0 and os.environ.get("CI") == "true":
        raise AssertionError(f"CI=true and Postgres is unreachable at {PG_URL}: {probe.stderr}")
    return PG_URL if probe.returncode == 0 else ""


@pytest.mark.parametrize(("mode", "count"), [("busy", 50), ("closed", 20), ("idle", 20)])
def test_forked_children_get_a_working_fanio_every_time(
    mode: str, count: int, testbed: Server, tmp_path: object
) -> None:
    # busy: SQLite threads run queries, writes and connects while the parent forks;
    # closed: a SQLite database was closed just before; idle: pools warm and quiet.
    # HTTP and Postgres pools are warm in each.
    env = {
        "FORK_HTTP": testbed.http,
        "FORK_PG": _postgres_url(),
        "FORK_DIR": str(tmp_path),
        "FORK_MODE": mode,
        "FORK_COUNT": str(count),
    }
    result = run_script(FORKS, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == f"{count} []", result.stderr


def test_exit_with_ops_pending_is_silent() -> None:
    result = run_script(
        """
        import asyncio, fanio

        async def main():
            asyncio.create_task(fanio.settle([fanio.sleep(30) for _ in range(50)], limit=10))
            asyncio.create_task(_wait(fanio.sleep(30)))
            await asyncio.sleep(0.05)

        async def _wait(op):
            return await op

        asyncio.run(main())
        loop = asyncio.new_event_loop()
        loop.create_task(_wait(fanio.sleep(30)))
        loop.run_until_complete(asyncio.sleep(0.05))
        print("bye")
    """,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stdout == "bye\n"
    assert result.stderr == ""


def test_exit_with_a_copy_converting_rows_is_silent(tmp_path: object) -> None:
    # copy_records converts rows on a thread of the core that takes the GIL for each
    # chunk: leaving with one in flight (cancelled, or left pending) must not hang or
    # print a panic.
    result = run_script(
        f"""
        import asyncio, fanio

        async def start(url):
            db = await fanio.connect(url)
            await db.execute("CREATE TABLE c (id int, v text)")
            rows = [(i, "x") for i in range(2_000_000)]

            async def load():
                return await db.copy_records("c", rows, columns=["id", "v"])

            task = asyncio.create_task(load())
            await asyncio.sleep(0.05)
            return task

        async def cancelled():
            task = await start("sqlite://{tmp_path}/a.db")
            assert not task.done()

        asyncio.run(cancelled())
        loop = asyncio.new_event_loop()
        loop.run_until_complete(start("sqlite://{tmp_path}/b.db"))
        print("bye")
    """,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "bye\n", "")


def test_progress_bar_is_drawn_only_on_a_terminal() -> None:
    script = """
        import asyncio, fanio
        asyncio.run(fanio.settle([fanio.sleep(0.001) for _ in range(300)], limit=10, progress=True))
    """
    piped = run_script(script)
    assert piped.returncode == 0 and piped.stderr == ""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stderr=follower, stdout=subprocess.DEVNULL)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    assert proc.wait(timeout=30) == 0
    os.close(leader)
    text = drawn.decode()
    assert "300/300 100%" in text
    assert "[" + "#" * 30 + "]" in text

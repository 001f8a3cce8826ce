"""The runtime across a process's life: worker count, fork, interpreter exit, the
progress bar on a terminal. Each runs in a fresh interpreter."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

from conftest import run_script

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

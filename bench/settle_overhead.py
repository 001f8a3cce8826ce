"""Overhead of the fan-out engine: 100,000 trivial tasks with limit 100, fanio.settle
against asyncio.gather with a Semaphore and aiometer.run_all in the same run; 100,000
native sleep(0) ops; and peak RSS of as_settled over 1,000,000 native ops (limit 256)
in a child process. `--quick` for a smoke run."""

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiometer
import fanio
import uvloop

QUICK = "--quick" in sys.argv
N = 2000 if QUICK else 100_000
STREAM_N = 20_000 if QUICK else 1_000_000
LIMIT = 100


async def trivial() -> None:
    await asyncio.sleep(0)


async def with_semaphore() -> None:
    sem = asyncio.Semaphore(LIMIT)

    async def one() -> None:
        async with sem:
            await trivial()

    await asyncio.gather(*[one() for _ in range(N)])


async def with_aiometer() -> None:
    await aiometer.run_all([trivial for _ in range(N)], max_at_once=LIMIT)


async def with_fanio_host() -> None:
    await fanio.settle([trivial() for _ in range(N)], limit=LIMIT)


async def with_fanio_native() -> None:
    await fanio.settle([fanio.sleep(0) for _ in range(N)], limit=LIMIT)


def timed(run: Callable[[Awaitable[None]], None], make: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    run(make())
    return time.perf_counter() - start


def stream_child() -> None:
    async def main() -> None:
        n = 0
        async for _ in fanio.as_settled((fanio.sleep(0) for _ in range(STREAM_N)), limit=256):
            n += 1
        assert n == STREAM_N

    asyncio.run(main())
    # VmHWM, not ru_maxrss: ru_maxrss survives execve, so a child would report the
    # parent's peak from before the fork.
    status = open("/proc/self/status").read()
    print(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)


def main() -> None:
    if "--stream-child" in sys.argv:
        stream_child()
        return
    for loop_name, run in (("asyncio", asyncio.run), ("uvloop", uvloop.run)):
        print(f"{loop_name}: {N} trivial tasks, limit {LIMIT}")
        results = {
            "asyncio.gather + Semaphore": timed(run, with_semaphore),
            "aiometer.run_all": timed(run, with_aiometer),
            "fanio.settle (coroutines)": timed(run, with_fanio_host),
            "fanio.settle (native sleep(0))": timed(run, with_fanio_native),
        }
        base = results["asyncio.gather + Semaphore"]
        best_peer = min(base, results["aiometer.run_all"])
        for name, secs in results.items():
            print(
                f"  {name:32} {secs * 1000:8.0f} ms   x{base / secs:5.2f} vs Semaphore   x{best_peer / secs:5.2f} vs best peer"
            )
    rss = subprocess.run(
        [sys.executable, __file__, "--stream-child"] + (["--quick"] if QUICK else []),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"as_settled over {STREAM_N} native ops, limit 256: peak RSS {float(rss):.0f} MB")


if __name__ == "__main__":
    main()

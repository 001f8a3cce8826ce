"""HTTP throughput and latency of fanio beside aiohttp, httpx and pyreqwest.

Workload: 20,000 GETs of /bytes/1024 from the testbed (run with `--threads 1`), 64 in
flight, HTTP/1.1 keep-alive; req/s and peak RSS for each client under the default loop
and uvloop, each in a fresh process (peak RSS is per process). fanio runs twice: as one
native batch (`fanio.settle` of 20,000 `client.get` ops, limit 64) and as one
`await client.get` per task (asyncio.gather + Semaphore(64)), like the peers. Then the
latency of 2,000 sequential requests (p50/p99). `wrk -c64 -t1 -d5s` is the ceiling when
installed. `--quick`: a smoke run with tiny counts; peers not installed are skipped.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUICK = "--quick" in sys.argv
N = 300 if QUICK else 20000
SEQ = 50 if QUICK else 2000
WARMUP = 64 if QUICK else 500
IN_FLIGHT = 64
# Host coroutines among the native GETs of the mixed batch.
MIXED_HOST = 100
# httpx manages ~60 req/s with 64 in flight here (its pool's cost grows with waiters), so
# it gets a tenth of the requests: the rate is what is compared, not the total time.
COUNT = {"httpx": max(N // 10, 100)}
LOOPS = ("asyncio", "uvloop")
CLIENTS = {
    "fanio-batch": ("fanio", "fanio settle (native batch)"),
    "fanio-mixed": ("fanio", "fanio settle (+100 coroutines)"),
    "fanio-await": ("fanio", "fanio await per task"),
    "aiohttp": ("aiohttp", "aiohttp"),
    "httpx": ("httpx", "httpx"),
    "pyreqwest": ("pyreqwest", "pyreqwest"),
}

# --- one client in one process ---

Get = Callable[[], Awaitable[int]]


async def open_client(name: str, url: str) -> tuple[Get, Callable[[], Awaitable[None]], Any]:
    """`(get, close, native)`: `get()` fetches `url` and returns the body length;
    `native` is the fanio client (for the native batch), else None."""
    if name.startswith("fanio"):
        import fanio

        fc = fanio.Client()

        async def get() -> int:
            return len((await fc.get(url)).content)

        return get, fc.close, fc
    if name == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT))

        async def get() -> int:
            async with session.get(url) as r:
                return len(await r.read())

        return get, session.close, None
    if name == "httpx":
        import httpx

        hc = httpx.AsyncClient(limits=httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT))

        async def get() -> int:
            return len((await hc.get(url)).content)

        return get, hc.aclose, None
    from pyreqwest.client import ClientBuilder

    pc = ClientBuilder().build()

    async def get() -> int:
        r = await pc.get(url).build().send()
        return len(await r.bytes())

    return get, pc.close, None


async def concurrent(get: Get, n: int) -> list[int]:
    sem = asyncio.Semaphore(IN_FLIGHT)

    async def one() -> int:
        async with sem:
            return await get()

    return await asyncio.gather(*[one() for _ in range(n)])


async def child(name: str, url: str) -> dict[str, Any]:
    get, close, native = await open_client(name, url)
    await concurrent(get, WARMUP)
    n = COUNT.get(name, N)
    start = time.perf_counter()
    if name == "fanio-batch":
        import fanio

        outcomes = await fanio.settle([native.get(url) for _ in range(n)], limit=IN_FLIGHT)
        sizes = [len(o.value.content) if isinstance(o, fanio.Fulfilled) else -1 for o in outcomes]
    elif name == "fanio-mixed":
        import fanio

        every = max(n // MIXED_HOST, 1)
        items: list[Any] = []
        for i in range(n):
            items.append(native.get(url))
            if i % every == 0:
                items.append(asyncio.sleep(0, 1024))
        outcomes = await fanio.settle(items, limit=IN_FLIGHT)
        values = [o.value if isinstance(o, fanio.Fulfilled) else None for o in outcomes]
        # The coroutines return 1024 too, so every right outcome counts as a right body.
        sizes = [v if isinstance(v, int) else len(v.content) if v is not None else -1 for v in values]
    else:
        sizes = await concurrent(get, n)
    took = time.perf_counter() - start
    errors = sum(1 for s in sizes if s != 1024)
    del sizes
    latencies = []
    for _ in range(SEQ):
        t = time.perf_counter()
        await get()
        latencies.append((time.perf_counter() - t) * 1e6)
    await close()
    latencies.sort()
    return {
        "n": n,
        "rps": n / took,
        "errors": errors,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "p50_us": statistics.median(latencies),
        "p99_us": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def run_child(name: str, loop: str, url: str) -> dict[str, Any] | None:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, loop, url] + (["--quick"] if QUICK else []),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        print(f"  {name} on {loop} failed:\n{proc.stderr.strip()[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the ceiling ---


def wrk(url: str) -> float | None:
    if QUICK or shutil.which("wrk") is None:
        return None
    out = subprocess.run(["wrk", "-c64", "-t1", "-d5s", url], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    return float(m.group(1)) if m else None


# --- the report ---


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests-py"))
    from testbed import testbed

    available = {name: label for name, (module, label) in CLIENTS.items() if importlib.util.find_spec(module)}
    skipped = sorted(set(CLIENTS) - set(available))
    with testbed(threads=1) as tb:
        url = f"{tb.http}/bytes/1024"
        ceiling = wrk(url)
        results = {(name, loop): run_child(name, loop, url) for loop in LOOPS for name in available}
    print(
        f"{N} GETs of /bytes/1024, {IN_FLIGHT} in flight, HTTP/1.1 keep-alive, testbed on 1 thread"
        + (" (quick smoke run)" if QUICK else "")
    )
    if skipped:
        print(f"skipped (not installed): {', '.join(skipped)}")
    print(
        f"{'client':<30} {'loop':<8} {'requests':>8} {'req/s':>9} {'vs wrk':>7} {'peak RSS':>9} {'errors':>6}"
        f" {'seq p50':>9} {'seq p99':>9}"
    )
    if ceiling:
        print(f"{'wrk -c64 -t1 -d5s (ceiling)':<30} {'-':<8} {'-':>8} {ceiling:>9.0f} {'1.00':>7}")
    for (name, loop), r in results.items():
        if r is None:
            continue
        vs = f"{r['rps'] / ceiling:.2f}" if ceiling else "-"
        print(
            f"{available[name]:<30} {loop:<8} {r['n']:>8} {r['rps']:>9.0f} {vs:>7} {r['rss_mb']:>7.0f}MB {r['errors']:>6}"
            f" {r['p50_us']:>7.0f}us {r['p99_us']:>7.0f}us"
        )
    peers = [p for p in ("aiohttp", "httpx", "pyreqwest") if p in available]
    print("\nthroughput ratios (fanio / peer, same loop):")
    for loop in LOOPS:
        for mine in ("fanio-batch", "fanio-mixed", "fanio-await"):
            r = results.get((mine, loop))
            if r is None:
                continue
            ratios = [
                f"{p} x{r['rps'] / results[(p, loop)]['rps']:.2f}"  # type: ignore[index]
                for p in peers
                if results.get((p, loop))
            ]
            print(f"  {available[mine]:<28} {loop:<8} " + "  ".join(ratios))
    for loop in LOOPS:
        batch, mixed = results.get(("fanio-batch", loop)), results.get(("fanio-mixed", loop))
        if batch and mixed:
            print(f"  mixed batch time / native batch time ({loop}): x{batch['rps'] / mixed['rps']:.2f}")
    failed = [k for k, r in results.items() if r is None or r["errors"]]
    if failed:
        raise SystemExit(f"failed or wrong bodies: {failed}")


if __name__ == "__main__":
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        name, loop, url = sys.argv[i + 1 : i + 4]
        if loop == "uvloop":
            import uvloop

            result = uvloop.run(child(name, url))
        else:
            result = asyncio.run(child(name, url))
        print(json.dumps(result))
    else:
        main()

"""fanio demo: a few thousand mixed sleep/fail ops, a limit, a progress bar (on a
terminal), then a table of outcomes by status and code and the time taken."""

import asyncio
import time
from collections import Counter

import fanio

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
        "fulfilled" if isinstance(o, fanio.Fulfilled) else f"rejected {getattr(o.error, 'code', '?')}"
        for o in outcomes
    )
    print(f"fanio (python): {N} ops, limit {LIMIT}, timeout 250 ms")
    print(f"{'outcome':<28} {'count':>5}")
    for key, count in sorted(table.items()):
        print(f"{key:<28} {count:>5}")
    print(f"took {took * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())

"""The cost of one crossing host -> runtime -> host: `await fanio.sleep(0)` alone and
20,000 at once (asyncio.gather), beside the machine's floor, an eventfd ping-pong of two
threads, measured in the same run. Under the default loop and uvloop. `--quick` for a
smoke run."""

import asyncio
import statistics
import sys
import time

import fanio
import uvloop
from fanio import _fanio

QUICK = "--quick" in sys.argv
SEQ = 500 if QUICK else 5000
CONC = 2000 if QUICK else 20000
ROUNDS = 1 if QUICK else 5


async def sequential() -> float:
    start = time.perf_counter()
    for _ in range(SEQ):
        await fanio.sleep(0)
    return (time.perf_counter() - start) / SEQ * 1e6


async def concurrent() -> float:
    ops = [fanio.sleep(0) for _ in range(CONC)]
    start = time.perf_counter()
    await asyncio.gather(*ops)
    return (time.perf_counter() - start) / CONC * 1e6


async def pure_asyncio() -> float:
    start = time.perf_counter()
    await asyncio.gather(*[asyncio.sleep(0) for _ in range(CONC)])
    return (time.perf_counter() - start) / CONC * 1e6


def main() -> None:
    floor = statistics.median(_fanio._ping_pong_us(SEQ) for _ in range(ROUNDS))
    print(f"floor:      eventfd ping-pong of two threads         {floor:6.1f} us/round trip")
    for name, run in (("asyncio", asyncio.run), ("uvloop", uvloop.run)):
        seq = statistics.median(run(sequential()) for _ in range(ROUNDS))
        conc = statistics.median(run(concurrent()) for _ in range(ROUNDS))
        pure = statistics.median(run(pure_asyncio()) for _ in range(ROUNDS))
        print(f"{name:8}    sequential await sleep(0)              {seq:6.1f} us/op  x{seq / floor:.2f} floor")
        print(f"{name:8}    {CONC} at once (gather of sleep(0))   {conc:6.1f} us/op")
        print(f"{name:8}    {CONC} at once (gather of asyncio.sleep(0)) {pure:6.1f} us/op (the loop's own cost)")


if __name__ == "__main__":
    main()

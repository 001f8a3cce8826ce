"""settle, gather and as_settled beyond the shared scenarios: cancellation, progress,
backpressure, bad input."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import fanio
import pytest
from conftest import eventually_no_running_ops


async def test_cancelling_a_native_batch_drops_every_op() -> None:
    task = asyncio.create_task(fanio.settle([fanio.sleep(30) for _ in range(10)], limit=3))
    await asyncio.sleep(0.05)
    assert fanio.op_stats()["running"] == 3
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await eventually_no_running_ops() == 0


async def test_cancelling_a_host_batch_cancels_tasks_and_closes_the_rest() -> None:
    seen: list[int] = []

    async def slow(i: int) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append(i)
            raise

    coros = [slow(i) for i in range(5)]
    task = asyncio.create_task(fanio.settle(coros, limit=2))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert sorted(seen) == [0, 1]
    assert all(inspect.getcoroutinestate(c) == inspect.CORO_CLOSED for c in coros)


async def test_fail_fast_drops_native_ops_in_flight() -> None:
    fanio.reset_op_stats()
    ops = [fanio.fail(0.02, "first")] + [fanio.sleep(30) for _ in range(4)]
    outcomes = await fanio.settle(ops, fail_fast=True)
    assert [o.error.code for o in outcomes] == ["E_FAILED"] + ["E_CANCELLED"] * 4
    assert fanio.op_stats() == {"running": 0, "peak": 5}


async def test_deadline_drops_native_ops_in_flight() -> None:
    outcomes = await fanio.settle([fanio.sleep(0.01, "in time"), fanio.sleep(30)], deadline=0.2)
    assert outcomes[0] == fanio.Fulfilled("in time")
    assert outcomes[1].error.code == "E_TIMEOUT"
    assert fanio.op_stats()["running"] == 0


async def test_a_mixed_batch_accepts_tasks_and_futures() -> None:
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[str] = loop.create_future()
    loop.call_later(0.01, fut.set_result, "future")

    async def coro() -> str:
        return "coroutine"

    task = asyncio.create_task(coro())
    outcomes = await fanio.settle([fut, task, coro(), fanio.sleep(0, "op")], limit=2)
    assert [o.value for o in outcomes] == ["future", "coroutine", "coroutine", "op"]


async def test_a_bad_duration_is_reported_in_seconds_as_the_caller_wrote_it() -> None:
    for make in (lambda: fanio.settle([fanio.sleep(0)], timeout=-5), lambda: fanio.settle([], deadline=-0.25)):
        with pytest.raises(fanio.InvalidArgument) as info:
            await make()
        assert "seconds" in str(info.value)
    assert "got -5" in str(pytest.raises(fanio.InvalidArgument, fanio.sleep, -5).value)


@pytest.mark.parametrize(
    ("kwargs", "items"),
    [
        ({"limit": 0}, None),
        ({"limit": "3"}, None),
        ({"limit": True}, None),
        ({"rate": -1}, None),
        ({"timeout": float("nan")}, None),
        ({"deadline": "soon"}, None),
        ({"on_progress": 42}, None),
        ({}, ["not awaitable"]),
        ({}, [42]),
    ],
)
async def test_bad_input_raises_before_anything_starts(kwargs: dict[str, object], items: list[object] | None) -> None:
    started: list[int] = []

    async def host() -> None:
        started.append(1)

    coros = [host(), host()]
    aws = [*coros, fanio.sleep(0)] + (items or [])
    fanio.reset_op_stats()
    with pytest.raises(fanio.InvalidArgument) as info:
        await fanio.settle(aws, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == "E_INVALID_ARGUMENT"
    await asyncio.sleep(0.01)
    assert started == [] and fanio.op_stats()["peak"] == 0
    for c in coros:
        c.close()


@pytest.mark.parametrize("native", [True, False])
async def test_on_progress_is_throttled_and_ends_with_the_total(native: bool) -> None:
    calls: list[tuple[int, int]] = []

    async def host(i: int) -> int:
        await asyncio.sleep(0.002)
        return i

    n = 200
    aws = [fanio.sleep(0.002, i) if native else host(i) for i in range(n)]
    start = time.perf_counter()
    await fanio.settle(aws, limit=4, on_progress=lambda d, t: calls.append((d, t)))
    await asyncio.sleep(0.01)  # native progress reaches the loop through the bridge
    elapsed = time.perf_counter() - start
    assert calls[-1] == (n, n)
    assert all(t == n for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) <= elapsed * 10 + 2


async def test_gather_is_asyncio_gather_with_a_limit() -> None:
    async def double(i: int) -> int:
        await asyncio.sleep(0.001)
        return 2 * i

    expected = await asyncio.gather(*[double(i) for i in range(20)])
    fanio.reset_op_stats()
    assert await fanio.gather(*[double(i) for i in range(20)], limit=3) == expected
    assert await fanio.gather(*[fanio.sleep(0.005, i) for i in range(9)], limit=3) == list(range(9))
    assert fanio.op_stats()["peak"] == 3


async def test_gather_raises_the_first_error_or_returns_exceptions() -> None:
    with pytest.raises(fanio.FanioError) as info:
        await fanio.gather(fanio.sleep(30), fanio.fail(0.01, "bad"), limit=2)
    assert info.value.code == "E_FAILED" and str(info.value) == "bad"
    assert await eventually_no_running_ops() == 0
    got = await fanio.gather(fanio.sleep(0, 1), fanio.fail(0, "bad"), return_exceptions=True)
    assert got[0] == 1 and isinstance(got[1], fanio.FanioError) and got[1].code == "E_FAILED"


@pytest.mark.parametrize("native", [True, False])
async def test_as_settled_yields_each_index_once_as_completed(native: bool) -> None:
    async def host(i: int) -> int:
        await asyncio.sleep((i % 7) / 1000)
        return i

    def source() -> Iterator[object]:
        for i in range(500):
            yield fanio.sleep((i % 7) / 1000, i) if native else host(i)

    seen = []
    async for index, outcome in fanio.as_settled(source(), limit=16):
        assert outcome == fanio.Fulfilled(index)
        seen.append(index)
    assert sorted(seen) == list(range(500))
    assert seen != list(range(500)), "outcomes come as they complete, not in input order"


async def test_as_settled_native_stops_starting_while_outcomes_wait_unread() -> None:
    stream = fanio.as_settled((fanio.sleep(0.02, i) for i in range(100)), limit=2)
    first = await anext(stream)
    await asyncio.sleep(0.4)  # without backpressure ops would run all along
    assert fanio.op_stats()["running"] == 0
    rest = [item async for item in stream]
    assert sorted([first[0]] + [i for i, _ in rest]) == list(range(100))


async def test_as_settled_host_stops_starting_while_outcomes_wait_unread() -> None:
    started: list[int] = []

    async def host(i: int) -> int:
        started.append(i)
        return i

    stream = fanio.as_settled((host(i) for i in range(100)), limit=2)
    await anext(stream)
    await asyncio.sleep(0.1)
    assert len(started) <= 2 * 2 + 1
    rest = [item async for item in stream]
    assert len(rest) == 99


async def test_breaking_out_of_as_settled_drops_ops_in_flight() -> None:
    stream = fanio.as_settled([fanio.sleep(0.001, 0)] + [fanio.sleep(30) for _ in range(5)], limit=3)
    async for index, _ in stream:
        assert index == 0
        break
    await stream.aclose()
    assert await eventually_no_running_ops() == 0


async def test_as_settled_fail_fast_and_bad_items() -> None:
    got = [
        (i, o.error.code if isinstance(o, fanio.Rejected) else o.value)
        async for i, o in fanio.as_settled([fanio.fail(0.01, "x"), fanio.sleep(30)], fail_fast=True)
    ]
    assert sorted(got) == [(0, "E_FAILED"), (1, "E_CANCELLED")]
    with pytest.raises(fanio.InvalidArgument):
        async for _ in fanio.as_settled([fanio.sleep(0), "nope"]):
            pass


async def test_absurd_durations_mean_never_instead_of_crashing() -> None:
    outcomes = await fanio.settle([fanio.sleep(0.001, "x"), fanio.sleep(1e300)], timeout=1e25, deadline=0.2)
    assert outcomes[0] == fanio.Fulfilled("x")
    assert outcomes[1].error.code == "E_TIMEOUT"
    ran = await fanio.settle([fanio.sleep(0, 1), fanio.sleep(0, 2)], rate=1e-300, deadline=0.1)
    assert ran[0] == fanio.Fulfilled(1) and ran[1].error.code == "E_TIMEOUT"


async def test_building_batch_results_leaves_the_gc_as_it_was() -> None:
    # The cyclic GC pauses while a native batch's results are built; it must come back
    # on, and stay off for a caller who had turned it off.
    import gc

    async def batch_and_stream() -> tuple[int, int]:
        done = await fanio.settle([fanio.sleep(0, i) for i in range(2000)], limit=64)
        streamed = [r async for r in fanio.as_settled([fanio.sleep(0, i) for i in range(500)], limit=16)]
        return sum(r.value for r in done), len(streamed)  # type: ignore[union-attr]

    assert gc.isenabled()
    assert await batch_and_stream() == (1999 * 1000, 500)
    assert gc.isenabled()
    gc.disable()
    try:
        assert await batch_and_stream() == (1999 * 1000, 500)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _closed(coro: object) -> bool:
    return inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED  # type: ignore[arg-type]


@pytest.mark.parametrize("call", ["settle", "gather", "as_settled"])
async def test_bad_arguments_close_every_coroutine_they_were_handed(call: str) -> None:
    async def host() -> int:
        return 1

    for bad in ({"limit": 0}, {"timeout": -1}, {"on_progress": 3}):
        coros = [host(), host()]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(fanio.InvalidArgument):
                if call == "settle":
                    await fanio.settle(coros, **bad)  # type: ignore[arg-type]
                elif call == "gather":
                    await fanio.gather(*coros, **bad)  # type: ignore[arg-type]
                else:
                    async for _ in fanio.as_settled(coros, **bad):  # type: ignore[arg-type]
                        pass
            assert all(_closed(c) for c in coros), bad
    coro = host()
    with pytest.raises(fanio.InvalidArgument):
        await fanio.settle([coro, 42])  # type: ignore[list-item]
    assert _closed(coro), "a non-awaitable item closes the coroutines beside it"


def _no_callback_errors(loop: asyncio.AbstractEventLoop) -> list[dict[str, object]]:
    seen: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    return seen


@pytest.mark.parametrize("native", [True, False])
async def test_a_raising_on_progress_rejects_the_batch_and_cancels_what_runs(native: bool) -> None:
    seen = _no_callback_errors(asyncio.get_running_loop())
    cancelled: list[int] = []

    async def slow(i: int) -> int:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise
        return i

    def boom(done: int, total: int) -> None:
        if done >= 1:
            raise KeyError("progress")

    def items() -> list[Any]:
        # Progress is reported at most every 100 ms: the op done at 150 ms brings the
        # report that raises while the slow ones run.
        first = [fanio.sleep(0, 0), fanio.sleep(0.15, 0)]
        if native:
            return first + [fanio.sleep(30, i) for i in range(1, 4)]
        return first + [slow(i) for i in range(1, 4)]

    with pytest.raises(KeyError):
        await asyncio.wait_for(fanio.settle(items(), on_progress=boom), 10)
    assert await eventually_no_running_ops() == 0
    await asyncio.sleep(0.01)
    if not native:
        assert sorted(cancelled) == [1, 2, 3], "every started host task was cancelled"
    with pytest.raises(KeyError):
        async for _ in fanio.as_settled(items(), on_progress=boom, limit=3):
            pass
    assert await eventually_no_running_ops() == 0
    assert seen == [], "nothing was printed as 'Exception in callback'"


async def test_as_settled_pulls_an_async_source_lazily() -> None:
    pulled = 0

    async def endless() -> AsyncIterator[Awaitable[int]]:
        nonlocal pulled
        i = 0
        while True:
            pulled += 1
            yield fanio.sleep(0.001, i)
            i += 1

    got = []
    async with contextlib.aclosing(fanio.as_settled(endless(), limit=2)) as outcomes:
        async for i, outcome in outcomes:
            got.append((i, outcome.value))
            if len(got) == 20:
                break
    assert sorted(v for _, v in got) == list(range(20)) or len(got) == 20
    assert pulled <= 20 + 2 + 1, f"pulled {pulled} items for 20 outcomes at limit 2"

    async def hosts() -> AsyncIterator[Awaitable[int]]:
        for i in range(5):
            await asyncio.sleep(0)
            yield asyncio.sleep(0.001, i)

    assert sorted(o.value for _, o in [x async for x in fanio.as_settled(hosts(), limit=2)]) == list(range(5))
    for bad in (3, "abc", None):
        with pytest.raises(fanio.InvalidArgument):
            async for _ in fanio.as_settled(bad):  # type: ignore[arg-type]
                pass


async def test_gather_behaves_like_asyncio_gather() -> None:
    assert await fanio.gather() == []
    runs = 0

    async def once() -> str:
        nonlocal runs
        runs += 1
        return "v"

    coro = once()
    assert await fanio.gather(coro, coro, fanio.sleep(0, 2)) == ["v", "v", 2]
    assert runs == 1, "the same coroutine passed twice is awaited once"

    victim = asyncio.ensure_future(asyncio.sleep(30))
    asyncio.get_running_loop().call_later(0.01, victim.cancel)
    with pytest.raises(asyncio.CancelledError):
        await fanio.gather(victim, fanio.sleep(0, 1))
    victim = asyncio.ensure_future(asyncio.sleep(30))
    asyncio.get_running_loop().call_later(0.01, victim.cancel)
    got = await fanio.gather(victim, fanio.sleep(0, 1), return_exceptions=True)
    assert isinstance(got[0], asyncio.CancelledError) and got[1] == 1

    with pytest.raises(TypeError):
        await fanio.gather(fanio.sleep(0), 42)  # type: ignore[arg-type]


def test_an_op_never_awaited_warns_when_collected() -> None:
    with pytest.warns(RuntimeWarning, match="never awaited"):
        op = fanio.sleep(0)
        del op
        gc.collect()

    async def used() -> None:
        await fanio.sleep(0)
        await fanio.settle([fanio.sleep(0)])
        with pytest.raises(fanio.InvalidArgument):
            await fanio.settle([fanio.sleep(0)], limit=0)

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="fanio op", category=RuntimeWarning)
        asyncio.run(used())
        gc.collect()


async def test_as_settled_ends_when_a_cut_off_native_op_is_gone_after_the_last_outcome() -> None:
    # Fail-fast cuts the native op off: its outcome is yielded at once, but the stream
    # ends only once its future is gone, which comes later; the consumer must hear of it.
    async def host() -> None:
        raise ValueError("first")

    async def consume() -> list[tuple[int, str]]:
        stream = fanio.as_settled([host(), fanio.fail(0.18, "slow")], fail_fast=True)
        return sorted([(i, type(outcome.error).__name__) async for i, outcome in stream])

    for _ in range(30):
        assert await asyncio.wait_for(consume(), 5) == [(0, "ValueError"), (1, "Cancelled")]
    assert fanio.op_stats()["running"] == 0

"""Runs every scenario of tests-spec/settle.json, under asyncio and under uvloop."""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

import fanio
import pytest
import uvloop
from conftest import ROOT, eventually_no_running_ops

SCENARIOS = json.loads((ROOT / "tests-spec" / "settle.json").read_text())["scenarios"]
LOOPS: dict[str, Callable[[Coroutine[Any, Any, None]], None]] = {"asyncio": asyncio.run, "uvloop": uvloop.run}


class HostError(Exception):
    pass


class Counters:
    def __init__(self) -> None:
        self.started = 0
        self.in_flight = 0
        self.peak = 0
        self.cancelled: set[int] = set()


async def host_task(i: int, task: dict[str, Any], c: Counters) -> Any:
    c.started += 1
    c.in_flight += 1
    c.peak = max(c.peak, c.in_flight)
    try:
        await asyncio.sleep(task["ms"] / 1000)
        if "fail" in task:
            raise HostError(task["fail"])
        return task["value"]
    except asyncio.CancelledError:
        c.cancelled.add(i)
        raise
    finally:
        c.in_flight -= 1


def make(i: int, task: dict[str, Any], c: Counters) -> Any:
    if task["kind"] == "host":
        return host_task(i, task, c)
    if "fail" in task:
        return fanio.fail(task["ms"] / 1000, task["fail"])
    return fanio.sleep(task["ms"] / 1000, task["value"])


def options(raw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in raw.items():
        value = math.nan if value == "NaN" else value
        if name in ("timeout", "deadline") and isinstance(value, (int, float)):
            value = value / 1000
        out[name] = value
    return out


def check(outcome: Any, expect: dict[str, Any]) -> None:
    assert outcome.status == expect["status"]
    if expect["status"] == "fulfilled":
        assert outcome.value == expect["value"]
        return
    if "code" in expect:
        assert isinstance(outcome.error, fanio.FanioError), outcome
        assert outcome.error.code == expect["code"]
    else:
        assert isinstance(outcome.error, HostError), outcome
        assert str(outcome.error) == expect["message"]


async def again(op: Any) -> Any:
    """Awaits an op on its own (not in a batch) and returns its outcome."""
    try:
        return fanio.Fulfilled(await op)
    except fanio.FanioError as e:
        return fanio.Rejected(e)


@pytest.mark.parametrize("loop", list(LOOPS))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any], loop: str) -> None:
    async def run() -> None:
        fanio.reset_op_stats()
        c = Counters()
        tasks = [make(i, t, c) for i, t in enumerate(scenario["tasks"])]
        opts = options(scenario["options"])
        start = time.perf_counter()
        if "expect_error" in scenario:
            with pytest.raises(fanio.FanioError) as info:
                await fanio.settle(tasks, **opts)
            assert info.value.code == scenario["expect_error"]
            assert c.started == 0, "nothing may start before the options are checked"
            assert fanio.op_stats()["peak"] == 0
            for t in tasks:
                if inspect.iscoroutine(t):
                    t.close()
            return
        outcomes = await fanio.settle(tasks, **opts)
        elapsed = time.perf_counter() - start
        assert len(outcomes) == len(scenario["expect"])
        for outcome, expect in zip(outcomes, scenario["expect"], strict=True):
            check(outcome, expect)
        if "max_in_flight" in scenario:
            assert c.peak <= scenario["max_in_flight"]
            assert fanio.op_stats()["peak"] <= scenario["max_in_flight"]
        if "min_elapsed_ms" in scenario:
            assert elapsed >= scenario["min_elapsed_ms"] / 1000 * 0.99
        assert set(scenario.get("cancelled", [])) <= c.cancelled
        assert await eventually_no_running_ops() == 0
        # Awaiting a native op again gives the outcome the batch gave it, whether it ran,
        # was cut off or never started, and runs nothing.
        fanio.reset_op_stats()
        for i, (task, expect) in enumerate(zip(tasks, scenario["expect"], strict=True)):
            if scenario["tasks"][i]["kind"] == "native":
                check(await again(task), expect)
        assert fanio.op_stats()["peak"] == 0, "a settled op ran again"

    LOOPS[loop](run())

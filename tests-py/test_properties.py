"""Property tests (Hypothesis): random batches of native ops (`fanio.sleep`, `fanio.fail`)
and host coroutines with random delays, outcomes and options, checked against a small
reference model of the scheduler written here; and random arguments of every type to
the public callables, which may only raise fanio errors or TypeErrors.

Timing is real, so the model never trusts one exact timeline: it replays the batch many
times with each timer late by a random amount (up to `JITTER`), and an item may end in
any of the outcomes those replays give it. Delays sit on a coarse grid and timeouts and
deadlines between grid points, so most items have exactly one possible outcome; items
whose fate hangs on a tie (two ops ending at the same grid point under fail-fast) are
checked against the set. Invariants hold for every item whatever the timing: settled
exactly once, only the allowed codes, in-flight never above the limit."""

from __future__ import annotations

import asyncio
import inspect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fanio
import pytest
from conftest import eventually_no_running_ops
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# ---------------------------------------------------------------------------------------
# The reference model

GRID = 60  # ms between the points delays sit on
JITTER = 30  # ms a timer may fire late (and 2 ms early) in a replay of the model
REPLAYS = 64

FULFILLED, FAILED, TIMEOUT, CANCELLED = "fulfilled", "failed", "E_TIMEOUT", "E_CANCELLED"


@dataclass(frozen=True)
class Spec:
    native: bool
    ms: int
    fails: bool


@dataclass(frozen=True)
class Opts:
    limit: int | None = None
    rate: float | None = None  # starts per second
    fail_fast: bool = False
    timeout: int | None = None  # ms
    deadline: int | None = None  # ms

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.limit is not None:
            out["limit"] = self.limit
        if self.rate is not None:
            out["rate"] = self.rate
        if self.fail_fast:
            out["fail_fast"] = True
        if self.timeout is not None:
            out["timeout"] = self.timeout / 1000
        if self.deadline is not None:
            out["deadline"] = self.deadline / 1000
        return out


def replay(specs: list[Spec], o: Opts, rng: random.Random | None) -> list[str]:
    """One timeline of the scheduler's rules (core/src/engine/scheduler.rs): starts in
    input order under the limit and at `k / rate`; an op ends with its own outcome, or
    E_TIMEOUT `timeout` after its start; the deadline settles everything left as
    E_TIMEOUT; under fail-fast the first rejection cancels what runs and skips the rest.
    With `rng`, every timer fires late by up to JITTER ms (never a tie)."""

    def late() -> float:
        return rng.uniform(-2, JITTER) if rng else 0.0

    n = len(specs)
    out: list[str | None] = [None] * n
    # running: index -> (time it ends by itself, time its timeout fires)
    running: dict[int, tuple[float, float]] = {}
    nxt, started, now = 0, 0, 0.0
    deadline = o.deadline + late() if o.deadline is not None else math.inf
    rate_at: float | None = None
    rate_late: dict[int, float] = {}

    def stop(code: str) -> None:
        nonlocal nxt
        for i in running:
            out[i] = code
        running.clear()
        while nxt < n:
            out[nxt] = code
            nxt += 1

    while any(x is None for x in out):
        # Start what the limit and the rate allow.
        rate_at = None
        while nxt < n and (o.limit is None or len(running) < o.limit):
            if o.rate is not None:
                if started not in rate_late:
                    rate_late[started] = late() if started else 0.0
                at = started * 1000 / o.rate + rate_late[started]
                if at > now:
                    rate_at = at
                    break
            s = specs[nxt]
            end = now + s.ms + late()
            expiry = now + o.timeout + late() if o.timeout is not None else math.inf
            running[nxt] = (end, expiry)
            nxt += 1
            started += 1
        events = [deadline] + [min(e) for e in running.values()] + ([rate_at] if rate_at is not None else [])
        now = min(events)
        if now == deadline:
            stop(TIMEOUT)
            break
        # What ends at the same instant ends together: none of it is cut off by another.
        ended = [i for i, (end, expiry) in running.items() if min(end, expiry) == now]
        for i in ended:
            end, expiry = running.pop(i)
            out[i] = TIMEOUT if expiry <= end else FAILED if specs[i].fails else FULFILLED
        if o.fail_fast and any(out[i] != FULFILLED for i in ended):
            stop(CANCELLED)
    return [x for x in out if x is not None]


def possible(specs: list[Spec], o: Opts, seed: int) -> list[set[str]]:
    """Each item's outcomes over the nominal timeline and REPLAYS late ones."""
    rng = random.Random(seed)
    sets: list[set[str]] = [{x} for x in replay(specs, o, None)]
    for _ in range(REPLAYS):
        for s, x in zip(sets, replay(specs, o, rng), strict=True):
            s.add(x)
    return sets


# ---------------------------------------------------------------------------------------
# The ops


class HostError(Exception):
    pass


@dataclass
class Counters:
    in_flight: int = 0
    peak: int = 0
    started: set[int] = field(default_factory=set)
    cancelled: set[int] = field(default_factory=set)


async def host_op(i: int, s: Spec, c: Counters) -> Any:
    c.started.add(i)
    c.in_flight += 1
    c.peak = max(c.peak, c.in_flight)
    try:
        await asyncio.sleep(s.ms / 1000)
        if s.fails:
            raise HostError(i)
        return i
    except asyncio.CancelledError:
        c.cancelled.add(i)
        raise
    finally:
        c.in_flight -= 1


def make(i: int, s: Spec, c: Counters) -> Any:
    if not s.native:
        return host_op(i, s, c)
    if s.fails:
        return fanio.fail(s.ms / 1000, f"op {i}")
    return fanio.sleep(s.ms / 1000, i)


def kind(outcome: Any, i: int, s: Spec) -> str:
    """The model's name of an actual outcome, checking what it carries on the way."""
    assert isinstance(outcome, fanio.Fulfilled | fanio.Rejected), outcome
    if isinstance(outcome, fanio.Fulfilled):
        assert outcome.value == i
        return FULFILLED
    e = outcome.error
    if isinstance(e, HostError):
        assert not s.native and e.args == (i,)
        return FAILED
    assert isinstance(e, fanio.FanioError), repr(e)
    if e.code == "E_FAILED":
        assert s.native
        return FAILED
    assert e.code in (TIMEOUT, CANCELLED), e.code
    return str(e.code)


# ---------------------------------------------------------------------------------------
# Strategies: delays on the grid; timeouts and deadlines half-way between grid points.

DELAYS = st.sampled_from([0, GRID, 2 * GRID, 3 * GRID])
HALF = [GRID // 2 + k * GRID for k in range(1, 7)]  # 90, 150, ... ms
OPTS = st.builds(
    Opts,
    limit=st.none() | st.integers(1, 4),
    # An op every 2 or 3 grid points at most: the rate ticks stay on the grid.
    rate=st.none() | st.sampled_from([1000 / (2 * GRID), 1000 / (3 * GRID)]),
    fail_fast=st.booleans(),
    timeout=st.none() | st.sampled_from(HALF[:3]),
    deadline=st.none() | st.sampled_from(HALF[2:]),
)


def specs(native: st.SearchStrategy[bool]) -> st.SearchStrategy[list[Spec]]:
    one = st.builds(Spec, native=native, ms=DELAYS, fails=st.booleans())
    return st.lists(one, min_size=1, max_size=6)


API = st.sampled_from(["settle", "as_settled"])
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def run_batch(ops: list[Any], o: Opts, api: str) -> list[Any]:
    if api == "settle":
        return await fanio.settle(ops, **o.kwargs())
    seen: dict[int, Any] = {}
    async for i, outcome in fanio.as_settled(ops, **o.kwargs()):
        assert i not in seen, f"item {i} settled twice"
        seen[i] = outcome
    assert sorted(seen) == list(range(len(ops))), "every item settles exactly once"
    return [seen[i] for i in range(len(ops))]


async def outcome_of(op: Any) -> Any:
    """An op awaited on its own, as a settled outcome."""
    try:
        return fanio.Fulfilled(await op)
    except fanio.FanioError as e:
        return fanio.Rejected(e)


def check_batch(specs_: list[Spec], o: Opts, api: str, seed: int) -> None:
    async def main() -> None:
        fanio.reset_op_stats()
        c = Counters()
        ops = [make(i, s, c) for i, s in enumerate(specs_)]
        outcomes = await run_batch(ops, o, api)
        assert len(outcomes) == len(specs_)
        allowed = possible(specs_, o, seed)
        got = [kind(x, i, s) for i, (x, s) in enumerate(zip(outcomes, specs_, strict=True))]
        wrong = [(i, got[i], sorted(allowed[i])) for i in range(len(got)) if got[i] not in allowed[i]]
        assert wrong == [], f"(index, got, model allows) for {specs_} {o}"
        # The limit bounds what is in flight: host coroutines and native futures.
        if o.limit is not None:
            assert c.peak <= o.limit
            assert fanio.op_stats()["peak"] <= o.limit
        # Without a cut-off every item ends as its op does.
        if not (o.fail_fast or o.timeout or o.deadline):
            assert got == [FAILED if s.fails else FULFILLED for s in specs_]
        # Fail-fast: nothing is cancelled without an original failure (or timeout) that
        # caused it; without fail-fast nothing is cancelled at all.
        if CANCELLED in got:
            assert o.fail_fast and (FAILED in got or TIMEOUT in got), got
        # No host coroutine runs on after the batch: one the model says must be cut off
        # while it ran (no tie with its own end) sees its cancellation. as_settled may end
        # a moment before it is delivered: cancel() takes effect on the next loop turn.
        for _ in range(100):
            if c.in_flight == 0:
                break
            await asyncio.sleep(0.01)
        assert c.in_flight == 0
        for i, (s, g) in enumerate(zip(specs_, got, strict=True)):
            if not s.native and allowed[i] == {g} and g in (TIMEOUT, CANCELLED) and i in c.started:
                assert i in c.cancelled, f"host op {i} was cut off ({g}) but never cancelled"
        assert await eventually_no_running_ops() == 0
        # Each native op keeps the outcome the batch gave it and runs no more.
        fanio.reset_op_stats()
        for i, (op, s) in enumerate(zip(ops, specs_, strict=True)):
            if s.native:
                assert kind(await outcome_of(op), i, s) == got[i]
            elif inspect.iscoroutine(op) and i not in c.started:
                op.close()
        assert fanio.op_stats()["peak"] == 0, "a settled op ran again"

    asyncio.run(main())


@PROPERTY
@given(specs(st.just(True)), OPTS, API, st.integers(0, 2**32))
def test_native_batches_match_the_model(specs_: list[Spec], o: Opts, api: str, seed: int) -> None:
    check_batch(specs_, o, api, seed)


@PROPERTY
@given(specs(st.booleans()), OPTS, API, st.integers(0, 2**32))
def test_mixed_batches_match_the_model(specs_: list[Spec], o: Opts, api: str, seed: int) -> None:
    check_batch(specs_, o, api, seed)


async def test_a_native_op_cut_off_in_a_mixed_batch_keeps_the_outcome_the_batch_gave_it() -> None:
    async def host() -> str:
        await asyncio.sleep(0.05)
        return "h"

    for _ in range(20):
        ops = [fanio.fail(0, "x"), fanio.sleep(0, 1), host()]
        outcomes = await fanio.settle(ops, fail_fast=True)
        for i in (0, 1):
            assert await outcome_of(ops[i]) == outcomes[i], f"op {i}: the batch said {outcomes[i]!r}"


def test_the_model_knows_the_rules() -> None:
    """The model itself, on cases the spec suite pins (tests-spec/settle.json)."""
    ok, bad = Spec(True, 0, False), Spec(True, 0, True)
    slow = Spec(True, 3000, False)
    assert replay([bad, slow, ok, ok], Opts(limit=2, fail_fast=True), None) == [FAILED] + [CANCELLED] * 3
    assert replay([Spec(True, 5, False), slow], Opts(timeout=150), None) == [FULFILLED, TIMEOUT]
    assert replay([slow, slow, ok], Opts(timeout=100, fail_fast=True, limit=2), None) == [TIMEOUT, TIMEOUT, CANCELLED]
    twenty = Spec(True, 20, False)
    assert replay([twenty, twenty, Spec(True, 5000, False), twenty], Opts(limit=1, deadline=400), None) == [
        FULFILLED,
        FULFILLED,
        TIMEOUT,
        TIMEOUT,
    ]
    # A rate of 10/s: the fourth op starts at 300 ms, after a 250 ms deadline.
    assert replay([ok] * 4, Opts(rate=10, deadline=250), None) == [FULFILLED] * 3 + [TIMEOUT]


# ---------------------------------------------------------------------------------------
# Random arguments to every public callable

CODES = set(fanio._fanio.codes()) if hasattr(fanio._fanio, "codes") else None
LOOKUP_ERRORS = (KeyError, IndexError)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(alphabet=st.characters(codec=None), max_size=12)
    | st.binary(max_size=8)
    | st.sampled_from(["", "\ud800", "a\x00b", "http://u:p@127.0.0.1:9/", "sqlite::memory:", "GET", "x\r\n"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    | st.frozensets(st.integers(), max_size=2),
    max_leaves=8,
)

SETTLE_OPTIONS = ["limit", "rate", "fail_fast", "timeout", "deadline", "progress", "on_progress"]
GATHER_OPTIONS = ["limit", "rate", "timeout", "deadline", "progress", "on_progress", "return_exceptions"]
CLIENT_OPTIONS = [
    "base_url",
    "headers",
    "timeout",
    "connect_timeout",
    "read_timeout",
    "pool_max_idle_per_host",
    "max_connections",
    "max_connections_per_host",
    "http2",
    "follow_redirects",
    "max_redirects",
    "verify",
    "proxy",
    "cookies",
    "user_agent",
    "max_response_size",
    "error_for_status",
]
REQUEST_OPTIONS = ["params", "headers", "json", "form", "content", "timeout", "error_for_status"]
CONNECT_OPTIONS = ["max_connections", "min_connections", "acquire_timeout", "statement_cache_size"]
RETRY_OPTIONS = ["attempts", "backoff", "backoff_max", "jitter", "on_status", "on_connect_error", "methods"]


def some_kwargs(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(names), VALUES, max_size=3)


@dataclass
class Env:
    db: fanio.Database
    client: fanio.Client


# Each call: (name, strategy of its arguments, what to do with them). A call that is only
# made (an HTTP request, a sleep) is not awaited: a valid one may wait for ages.
CALLS: list[tuple[str, st.SearchStrategy[Any], Callable[[Env, Any], Any], bool]] = [
    ("sleep", st.tuples(VALUES, VALUES), lambda e, a: fanio.sleep(*a), False),
    ("fail", st.tuples(VALUES, VALUES), lambda e, a: fanio.fail(*a), False),
    (
        "settle",
        st.tuples(st.lists(VALUES, max_size=2), some_kwargs(SETTLE_OPTIONS)),
        lambda e, a: fanio.settle([fanio.sleep(0, 1), *a[0]], **a[1]),
        True,
    ),
    (
        "gather",
        st.tuples(st.lists(VALUES, max_size=2), some_kwargs(GATHER_OPTIONS)),
        lambda e, a: fanio.gather(fanio.sleep(0, 1), *a[0], **a[1]),
        True,
    ),
    (
        "as_settled",
        st.tuples(VALUES, some_kwargs(SETTLE_OPTIONS)),
        lambda e, a: fanio.as_settled(a[0], **a[1]),
        True,
    ),
    ("connect", st.tuples(VALUES, some_kwargs(CONNECT_OPTIONS)), lambda e, a: fanio.connect(a[0], **a[1]), True),
    (
        "connect(sqlite)",
        some_kwargs(CONNECT_OPTIONS),
        lambda e, a: fanio.connect("sqlite::memory:", **a),
        True,
    ),
    ("db.fetch_all", st.tuples(VALUES, VALUES), lambda e, a: e.db.fetch_all(*a), True),
    ("db.fetch_val", VALUES, lambda e, a: e.db.fetch_val("SELECT ?", [a]), True),
    ("db.execute", st.tuples(VALUES, VALUES), lambda e, a: e.db.execute(*a), True),
    ("db.execute_many", st.tuples(VALUES, VALUES), lambda e, a: e.db.execute_many(*a), True),
    (
        "db.copy_records",
        st.tuples(VALUES, VALUES, VALUES),
        lambda e, a: e.db.copy_records(a[0], a[1], columns=a[2]),
        True,
    ),
    ("db.transaction", some_kwargs(["isolation", "read_only"]), lambda e, a: e.db.transaction(**a), False),
    ("Client", some_kwargs(CLIENT_OPTIONS), lambda e, a: fanio.Client(**a), False),
    ("Retry", some_kwargs(RETRY_OPTIONS), lambda e, a: fanio.Retry(**a), False),
    ("Headers", VALUES, lambda e, a: fanio.Headers(a), False),
    (
        "client.request",
        st.tuples(VALUES, VALUES, some_kwargs(REQUEST_OPTIONS)),
        lambda e, a: e.client.request(a[0], a[1], **a[2]),
        False,
    ),
    ("client.get", st.tuples(VALUES, some_kwargs(REQUEST_OPTIONS)), lambda e, a: e.client.get(a[0], **a[1]), False),
    (
        "client.fetch_all",
        st.tuples(VALUES, some_kwargs(SETTLE_OPTIONS)),
        lambda e, a: e.client.fetch_all(a[0], **a[1]),
        True,
    ),
]


async def raised_by(call: Callable[[], Any], wait: bool) -> BaseException | None:
    """What `call` raised, making its result (and awaiting or iterating it, if `wait`);
    a database or client it made is closed again."""
    try:
        r = call()
        if wait and inspect.isawaitable(r):
            r = await asyncio.wait_for(r, 5)
        elif wait and hasattr(r, "__aiter__"):
            async for _ in r:
                pass
        elif inspect.iscoroutine(r):
            r.close()
        elif isinstance(r, fanio.Op):
            r._hand_over()  # made, never to be awaited: no warning
        if isinstance(r, fanio.Database | fanio.Client):
            await r.close()
    except BaseException as e:
        return e
    return None


def acceptable(e: BaseException | None, name: str) -> bool:
    if e is None or isinstance(e, TypeError):
        return True
    if isinstance(e, fanio.FanioError):
        return isinstance(e.code, str) and e.code.startswith("E_") and (CODES is None or e.code in CODES)
    return name == "Headers" and isinstance(e, LOOKUP_ERRORS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_arguments_raise_only_fanio_errors_or_type_errors(tmp_path_factory: Any, data: st.DataObject) -> None:
    path: Path = tmp_path_factory.mktemp("props") / "p.db"

    async def main() -> None:
        db = await fanio.connect(f"sqlite://{path}")
        await db.execute("CREATE TABLE IF NOT EXISTS p (a)")
        async with fanio.Client("http://127.0.0.1:9", timeout=2) as client:
            env = Env(db, client)
            for name, args, run, wait in CALLS:
                a = data.draw(args, label=name)
                e = await raised_by(lambda run=run, a=a: run(env, a), wait)
                assert acceptable(e, name), f"{name}{a!r}: {type(e).__name__}: {e}"
        assert await db.fetch_val("SELECT 1") == 1
        await db.close()

    asyncio.run(main())


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])

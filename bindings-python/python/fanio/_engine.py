"""Runs fanio batches on the asyncio loop.

A batch of native ops crosses into Rust once and runs there wholly. A batch holding
Python awaitables is driven here, on the loop, by the core's scheduler: it says what to
start, cut off or skip, so limit, rate, fail-fast, timeouts and the deadline mean exactly
what they mean for native batches and in Node. No thread hop per task.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
from functools import partial
from itertools import islice
from typing import Any

from . import _fanio
from ._errors import Cancelled, InvalidArgument
from ._fanio import Fulfilled, Op, Rejected

Outcome = Fulfilled[Any] | Rejected[BaseException]
ProgressCallback = Callable[[int, int], object]

# --- the bridge: one eventfd per loop through which the runtime hands back outcomes ---

_bridges: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _fanio.Bridge] = weakref.WeakKeyDictionary()
_last: tuple[weakref.ref[asyncio.AbstractEventLoop], _fanio.Bridge] | None = None


def bridge(loop: asyncio.AbstractEventLoop) -> _fanio.Bridge:
    global _last
    if _last is not None and _last[0]() is loop:
        return _last[1]
    b = _bridges.get(loop)
    if b is None:
        b = _fanio.Bridge()
        loop.add_reader(b.fileno(), b.drain)
        _bridges[loop] = b
    _last = (weakref.ref(loop), b)
    return b


def _forget_bridges() -> None:
    # A forked child must not share the parent's eventfds; the core rebuilds its runtime.
    global _last
    _bridges.clear()
    _last = None


os.register_at_fork(after_in_child=_forget_bridges)


Start = Callable[[_fanio.Bridge, "asyncio.Future[Any]"], _fanio.Running]


def await_native(start: Start) -> Generator[Any, None, Any]:
    """What `Op.__await__` returns: awaits something running on the runtime. Cancelling
    the awaiting task aborts the runtime task, which drops the Rust future (and any
    socket it holds)."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    running = start(bridge(loop), fut)
    try:
        return (yield from fut)
    except BaseException:
        running.abort()
        raise


class _Native:
    """Makes `await_native` awaitable from Python code (a batch, a stream chunk)."""

    __slots__ = ("start",)

    def __init__(self, start: Start) -> None:
        self.start = start

    def __await__(self) -> Generator[Any, None, Any]:
        return await_native(self.start)


# --- batches driven on the loop ---


def _check_awaitable(i: int, aw: object) -> None:
    if not inspect.isawaitable(aw):
        raise InvalidArgument(f"item {i} is not awaitable: {type(aw).__name__}")


def _discard(aw: object, code: str) -> None:
    """An item that will never start: close a coroutine (no 'never awaited' warning), and
    give a native op its outcome for good."""
    if inspect.iscoroutine(aw):
        aw.close()
    elif type(aw) is Op:
        aw._settle(code)


class _HostBatch:
    """Carries out the scheduler's actions for one batch on the loop."""

    def __init__(
        self,
        options: _fanio.Options,
        source: Iterator[Any],
        known: int,
        source_done: bool,
        stream: bool,
        sink: Callable[[int, Outcome], None],
        on_progress: ProgressCallback | None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.sched = _fanio.Scheduler(options, known, source_done, stream)
        self.source = source
        self.source_done = source_done
        self.feed_target = options.feed_target
        self.pending: dict[int, Any] = {}
        self.fed = 0
        self.settled = 0
        self.tasks: dict[int, asyncio.Future[Any]] = {}
        # Native ops among the running items, so a cut-off one keeps the batch's reason.
        self.ops: dict[int, Op[Any]] = {}
        self.sink = sink
        self.on_progress = on_progress
        self.timer: asyncio.TimerHandle | None = None
        self.finished: asyncio.Future[None] = self.loop.create_future()

    def add(self, items: list[Any]) -> None:
        for aw in items:
            self.pending[self.fed] = aw
            self.fed += 1

    def top_up(self) -> None:
        """Pulls the next chunk of a streamed source when few items wait."""
        if self.source_done or self.fed - self.settled >= self.feed_target:
            return
        want = self.feed_target - (self.fed - self.settled)
        chunk = list(islice(self.source, want))
        for j, aw in enumerate(chunk):
            _check_awaitable(self.fed + j, aw)
        self.add(chunk)
        self.sched.extend(len(chunk))
        if len(chunk) < want:
            self.source_done = True
            self.sched.end_source()

    def poll(self) -> None:
        self.top_up()
        actions, wake = self.sched.poll()
        for i, error in actions:
            if error is None:
                aw = self.pending.pop(i)
                if type(aw) is Op:
                    self.ops[i] = aw
                task = asyncio.ensure_future(aw, loop=self.loop)
                self.tasks[i] = task
                task.add_done_callback(partial(self.done, i))
            else:
                self.cut(i, error)
        progress = self.sched.progress()
        if progress is not None and self.on_progress is not None:
            self.on_progress(*progress)
        if self.sched.finished():
            if self.timer is not None:
                self.timer.cancel()
            if not self.finished.done():
                self.finished.set_result(None)
        elif wake is not None:
            self.arm(wake)

    def cut(self, i: int, error: BaseException) -> None:
        task = self.tasks.pop(i, None)
        if task is not None:
            op = self.ops.pop(i, None)
            if op is not None:
                # The op keeps the batch's reason (a timeout, say), not the
                # cancellation that stops its run.
                op._settle(getattr(error, "code", "E_CANCELLED"))
            task.cancel()
        else:
            _discard(self.pending.pop(i), getattr(error, "code", "E_CANCELLED"))
        self.settle(i, Rejected(error))

    def settle(self, i: int, outcome: Outcome) -> None:
        self.settled += 1
        self.sink(i, outcome)

    def done(self, i: int, task: asyncio.Future[Any]) -> None:
        if self.tasks.pop(i, None) is None:
            return  # cut off before it completed: its outcome is already settled
        self.ops.pop(i, None)
        if task.cancelled():
            error: BaseException | None = Cancelled("the awaitable was cancelled")
        else:
            error = task.exception()
        self.sched.complete(i, error is not None)
        self.settle(i, Rejected(error) if error is not None else Fulfilled(task.result()))
        self.poll()

    def arm(self, delay: float) -> None:
        when = self.loop.time() + delay
        if self.timer is not None:
            if self.timer.when() <= when:
                return
            self.timer.cancel()
        self.timer = self.loop.call_at(when, self.on_timer)

    def on_timer(self) -> None:
        self.timer = None
        self.poll()

    def abandon(self) -> None:
        """The awaiting task was cancelled: cancel what runs, close what never started."""
        if self.timer is not None:
            self.timer.cancel()
        for task in self.tasks.values():
            task.cancel()
        self.tasks.clear()
        self.ops.clear()
        for aw in self.pending.values():
            _discard(aw, "E_CANCELLED")
        self.pending.clear()


def _options(**kw: Any) -> _fanio.Options:
    on_progress = kw.pop("on_progress")
    if on_progress is not None and not callable(on_progress):
        raise InvalidArgument(f"on_progress must be callable, got {type(on_progress).__name__}")
    return _fanio.Options(**kw)


async def settle(
    aws: Iterable[Awaitable[Any]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[Outcome]:
    options = _options(
        limit=limit,
        rate=rate,
        fail_fast=fail_fast,
        timeout=timeout,
        deadline=deadline,
        progress=progress,
        on_progress=on_progress,
    )
    items = list(aws)
    native = _fanio.native_batch(items, options, on_progress)
    if native is not None:
        result: list[Outcome] = await _Native(native._start)
        return result
    for i, aw in enumerate(items):
        _check_awaitable(i, aw)
    results: list[Any] = [None] * len(items)

    def sink(i: int, outcome: Outcome) -> None:
        results[i] = outcome

    batch = _HostBatch(options, iter(()), len(items), True, False, sink, on_progress)
    batch.add(items)
    del items
    batch.poll()
    try:
        await batch.finished
    except BaseException:
        batch.abandon()
        raise
    return results


async def gather(
    *aws: Awaitable[Any],
    limit: int | None = None,
    return_exceptions: bool = False,
    rate: float | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> list[Any]:
    outcomes = await settle(
        aws,
        limit=limit,
        rate=rate,
        fail_fast=not return_exceptions,
        timeout=timeout,
        deadline=deadline,
        progress=progress,
        on_progress=on_progress,
    )
    if return_exceptions:
        return [o.value if isinstance(o, Fulfilled) else o.error for o in outcomes]
    errors = [o.error for o in outcomes if isinstance(o, Rejected)]
    if errors:
        # Under fail-fast one rejection stopped the batch and the rest were cancelled
        # because of it: raise that one.
        raise next((e for e in errors if not isinstance(e, Cancelled)), errors[0])
    return [o.value for o in outcomes if isinstance(o, Fulfilled)]


async def as_settled(
    aws: Iterable[Awaitable[Any]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[tuple[int, Outcome]]:
    options = _options(
        limit=limit,
        rate=rate,
        fail_fast=fail_fast,
        timeout=timeout,
        deadline=deadline,
        progress=progress,
        on_progress=on_progress,
    )
    source = iter(aws)
    target = options.feed_target
    first = list(islice(source, target))
    ended = len(first) < target
    if all(type(aw) is Op for aw in first):
        stream = _fanio.Stream(options, bridge(asyncio.get_running_loop()), on_progress)
        try:
            stream.feed(first)
            del first
            if ended:
                stream.end()
            while True:
                want = stream.wanted()
                if want:
                    chunk = list(islice(source, want))
                    stream.feed(chunk)
                    if len(chunk) < want:
                        stream.end()
                outcomes: list[tuple[int, Outcome]] | None = await _Native(stream._next)
                if outcomes is None:
                    return
                for item in outcomes:
                    yield item
        finally:
            stream.close()
    for i, aw in enumerate(first):
        _check_awaitable(i, aw)
    ready: deque[tuple[int, Outcome]] = deque()
    wakeup: list[asyncio.Future[None]] = []

    def sink(i: int, outcome: Outcome) -> None:
        ready.append((i, outcome))
        if wakeup and not wakeup[0].done():
            wakeup[0].set_result(None)

    batch = _HostBatch(options, source, len(first), ended, True, sink, on_progress)
    batch.add(first)
    del first
    try:
        batch.poll()
        while True:
            if ready:
                while ready:
                    yield ready.popleft()
                    # The consumer came back for more: that outcome has been read.
                    batch.sched.read(1)
                batch.poll()
            elif batch.finished.done():
                return
            else:
                wakeup[:] = [batch.loop.create_future()]
                await wakeup[0]
    finally:
        batch.abandon()

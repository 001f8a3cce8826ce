"""Runs fanio batches on the asyncio loop.

A batch of native ops crosses into Rust once and runs there wholly. A batch holding
Python awaitables is the core's batch too (`_fanio.Batch`): it decides what starts, is
cut off or skipped, pulls the source and settles native ops, so limit, rate, fail-fast,
timeouts and the deadline mean exactly what they mean for native batches and in Node.
This module only executes its actions on the loop. No thread hop per task.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import weakref
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
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


def await_native(start: Start, progress: _Progress | None = None) -> Generator[Any, None, Any]:
    """What `Op.__await__` returns: awaits something running on the runtime. Cancelling
    the awaiting task aborts the runtime task, which drops the Rust future (and any
    socket it holds); so does a `progress` callback that raises."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    running = start(bridge(loop), fut)
    if progress is not None:
        progress.waiting = fut
    try:
        return (yield from fut)
    except BaseException:
        running.abort()
        raise
    finally:
        if progress is not None:
            progress.waiting = None


class _Native:
    """Makes `await_native` awaitable from Python code (a batch, a stream chunk)."""

    __slots__ = ("progress", "start")

    def __init__(self, start: Start, progress: _Progress | None = None) -> None:
        self.start = start
        self.progress = progress

    def __await__(self) -> Generator[Any, None, Any]:
        return await_native(self.start, self.progress)


class _Progress:
    """Calls the caller's `on_progress`. The first exception it raises stops the batch:
    the batch raises that exception and cancels what runs, rather than an 'Exception
    in callback' printed while the batch goes on unobserved."""

    __slots__ = ("callback", "error", "waiting")

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.error: BaseException | None = None
        # The native await to fail at once (native batches and streams).
        self.waiting: asyncio.Future[Any] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.error is not None:
            return
        try:
            self.callback(done, total)
        except Exception as e:
            self.error = e
            if self.waiting is not None and not self.waiting.done():
                self.waiting.set_exception(e)


# --- batches driven on the loop ---


def _check_awaitable(i: int, aw: object) -> None:
    if not inspect.isawaitable(aw):
        raise InvalidArgument(f"item {i} is not awaitable: {type(aw).__name__}")


def _refuse(aws: object) -> None:
    """A call refused its arguments: every coroutine it was handed is closed (no 'never
    awaited' warning) and every op handed over, as if the call had taken them."""
    if not isinstance(aws, (list, tuple)):
        return
    for aw in aws:
        if inspect.iscoroutine(aw):
            aw.close()
        elif type(aw) is Op:
            aw._hand_over()


def _source(aws: object, what: str) -> Iterator[Any]:
    """An iterator over a batch's items; anything else is E_INVALID_ARGUMENT."""
    if isinstance(aws, (str, bytes)) or inspect.isawaitable(aws):
        raise InvalidArgument(f"{what} must be an iterable of awaitables, got {type(aws).__name__}")
    try:
        return iter(aws)  # type: ignore[call-overload,no-any-return]
    except TypeError:
        raise InvalidArgument(f"{what} must be an iterable of awaitables, got {type(aws).__name__}") from None


def _close(aw: object) -> None:
    """A host item that will never start: a coroutine is closed (no 'never awaited'
    warning). Native ops that never start are settled by the core."""
    if inspect.iscoroutine(aw):
        aw.close()


_START = _fanio.ACTION_START
_CANCEL = _fanio.ACTION_CANCEL
_SKIP = _fanio.ACTION_SKIP
_SETTLED = _fanio.ACTION_SETTLED
_PULL = _fanio.ACTION_PULL
_PROGRESS = _fanio.ACTION_PROGRESS


class _HostBatch:
    """Executes the actions of the core's batch on the loop: starts, cancels and closes
    awaitables, pulls the source, reports progress. The batch's native ops run in Rust;
    their outcomes come back as actions, a burst at a time."""

    def __init__(
        self,
        options: _fanio.Options,
        source: Iterator[Any] | AsyncIterator[Any] | None,
        stream: bool,
        sink: Callable[[int, Outcome], None],
        on_progress: _Progress | None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.core = _fanio.Batch(options, stream, bridge(self.loop), self.poll, on_progress is not None)
        self.source = source
        self.pulling: asyncio.Task[None] | None = None
        # Host items handed over and not started, and the tasks of those running.
        self.pending: dict[int, Any] = {}
        self.tasks: dict[int, asyncio.Future[Any]] = {}
        self.sink = sink
        self.on_progress = on_progress
        self.timer: asyncio.TimerHandle | None = None
        self.finished: asyncio.Future[None] = self.loop.create_future()
        self.closed = False
        # What stopped the batch from the inside (the source or on_progress raised):
        # the batch raises it once everything is cut off.
        self.error: BaseException | None = None

    def feed(self, items: list[Any]) -> None:
        first = self.core.feed(items)
        for j, aw in enumerate(items):
            self.pending[first + j] = aw

    def poll(self) -> None:
        if self.closed:
            return
        again = True
        while again:
            again = False
            actions, wake = self.core.step()
            for tag, i, payload in actions:
                if tag == _START:
                    task = asyncio.ensure_future(self.pending.pop(i), loop=self.loop)
                    self.tasks[i] = task
                    task.add_done_callback(partial(self.done, i))
                elif tag == _SETTLED:
                    self.pending.pop(i, None)
                    self.sink(i, payload)
                elif tag == _CANCEL:
                    self.tasks.pop(i).cancel()
                    self.sink(i, Rejected(payload))
                elif tag == _SKIP:
                    _close(self.pending.pop(i))
                    self.sink(i, Rejected(payload))
                elif tag == _PULL:
                    again = self.pull(i)
                elif tag == _PROGRESS:
                    again = self.report(i, payload)
                else:
                    self.end()
                    return
        if wake is not None:
            self.arm(wake)

    def pull(self, want: int) -> bool:
        """Pulls what the batch asks for; True if items were handed over now."""
        if not isinstance(self.source, Iterator):
            self.pulling = self.loop.create_task(self.pull_async(want))
            return False
        try:
            chunk = list(islice(self.source, want))
            for j, aw in enumerate(chunk):
                _check_awaitable(self.core.fed + j, aw)
        except Exception as e:
            self.fail(e)
            return True
        self.feed(chunk)
        self.core.pulled(len(chunk) < want)
        return True

    async def pull_async(self, want: int) -> None:
        assert self.source is not None and not isinstance(self.source, Iterator)
        try:
            for _ in range(want):
                try:
                    aw = await anext(self.source)
                except StopAsyncIteration:
                    self.core.pulled(True)
                    break
                _check_awaitable(self.core.fed, aw)
                self.feed([aw])
                self.poll()
            else:
                self.core.pulled(False)
        except Exception as e:
            self.fail(e)
        finally:
            self.pulling = None
        self.poll()

    def report(self, done: int, total: int) -> bool:
        assert self.on_progress is not None
        self.on_progress(done, total)
        if self.on_progress.error is None or self.error is not None:
            return False
        self.fail(self.on_progress.error)
        return True

    def fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.core.fail()

    def done(self, i: int, task: asyncio.Future[Any]) -> None:
        if self.tasks.pop(i, None) is None:
            return  # cut off before it completed: its outcome is already settled
        error: BaseException | None
        if task.cancelled():
            error = stopped = Cancelled("the awaitable was cancelled")
            try:
                task.result()
            except asyncio.CancelledError as cancelled:
                stopped.__cause__ = cancelled
        else:
            error = task.exception()
        if self.core.complete(i, error is not None):
            self.sink(i, Rejected(error) if error is not None else Fulfilled(task.result()))
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

    def end(self) -> None:
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
        self.core.close()
        if not self.finished.done():
            self.finished.set_result(None)

    def abandon(self) -> None:
        """The awaiting task was cancelled, or a stream's consumer left: the batch stops
        as cancelled (what runs is cancelled, what never started is closed), and its
        native ops are dropped."""
        if self.closed:
            return
        if self.pulling is not None:
            self.pulling.cancel()
        self.sink = _ignore
        self.on_progress = None
        self.core.fail()
        self.poll()
        self.end()


def _ignore(i: int, outcome: Outcome) -> None:
    pass


def _options(**kw: Any) -> tuple[_fanio.Options, _Progress | None]:
    on_progress = kw.pop("on_progress")
    if on_progress is not None and not callable(on_progress):
        raise InvalidArgument(f"on_progress must be callable, got {type(on_progress).__name__}")
    return _fanio.Options(**kw), None if on_progress is None else _Progress(on_progress)


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
    try:
        options, reporter = _options(
            limit=limit,
            rate=rate,
            fail_fast=fail_fast,
            timeout=timeout,
            deadline=deadline,
            progress=progress,
            on_progress=on_progress,
        )
        items = list(_source(aws, "aws"))
        native = _fanio.native_batch(items, options, reporter)
        if native is None:
            for i, aw in enumerate(items):
                _check_awaitable(i, aw)
    except BaseException:
        _refuse(items if "items" in locals() else aws)
        raise
    if native is not None:
        result: list[Outcome] = await _Native(native._start, reporter)
        return result
    results: list[Any] = [None] * len(items)

    def sink(i: int, outcome: Outcome) -> None:
        results[i] = outcome

    batch = _HostBatch(options, None, False, sink, reporter)
    batch.feed(items)
    batch.core.pulled(True)
    del items
    batch.poll()
    try:
        await batch.finished
    except BaseException:
        batch.abandon()
        raise
    if batch.error is not None:
        raise batch.error
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
    """`asyncio.gather` with fanio's options. As there, an awaitable passed twice is
    awaited once, a child cancelled from outside is `asyncio.CancelledError`, and no
    argument returns at once. Unlike there, raising cancels what still runs."""
    if not aws:
        return []
    # Positions of each distinct awaitable, by identity as asyncio.gather keys them.
    slot: dict[int, int] = {}
    unique: list[Awaitable[Any]] = []
    for aw in aws:
        if id(aw) not in slot:
            slot[id(aw)] = len(unique)
            unique.append(aw)
    outcomes = await settle(
        unique,
        limit=limit,
        rate=rate,
        fail_fast=not return_exceptions,
        timeout=timeout,
        deadline=deadline,
        progress=progress,
        on_progress=on_progress,
    )
    # What each distinct awaitable gave: its value, or the error gather reports.
    results = [_cancelled_child(o.error) if isinstance(o, Rejected) else o.value for o in outcomes]
    raised = [r for o, r in zip(outcomes, results, strict=True) if isinstance(o, Rejected)]
    if raised and not return_exceptions:
        # Under fail-fast one rejection stopped the batch and the rest were cancelled
        # because of it: raise that one.
        raise next((e for e in raised if not isinstance(e, Cancelled)), raised[0])
    return [results[slot[id(aw)]] for aw in aws]


def _cancelled_child(error: BaseException) -> BaseException:
    """The error gather reports for a rejection: a child that was cancelled from
    outside the batch (not by fail-fast or a timeout) is asyncio's CancelledError."""
    if isinstance(error, Cancelled) and isinstance(error.__cause__, asyncio.CancelledError):
        return error.__cause__
    return error


async def as_settled(
    aws: Iterable[Awaitable[Any]] | AsyncIterable[Awaitable[Any]],
    *,
    limit: int | None = None,
    rate: float | None = None,
    fail_fast: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[tuple[int, Outcome]]:
    try:
        options, reporter = _options(
            limit=limit,
            rate=rate,
            fail_fast=fail_fast,
            timeout=timeout,
            deadline=deadline,
            progress=progress,
            on_progress=on_progress,
        )
        source: Iterator[Any] | AsyncIterator[Any]
        if isinstance(aws, AsyncIterable):
            source = aws.__aiter__()
            first: list[Any] = []
            ended = False
        else:
            source = _source(aws, "aws")
            first = list(islice(source, options.feed_target))
            ended = len(first) < options.feed_target
    except BaseException:
        _refuse(aws)
        raise
    if first and all(type(aw) is Op for aw in first):
        assert isinstance(source, Iterator)
        stream = _fanio.Stream(options, bridge(asyncio.get_running_loop()), reporter)
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
                outcomes: list[tuple[int, Outcome]] | None = await _Native(stream._next, reporter)
                if outcomes is None:
                    return
                for item in outcomes:
                    yield item
        finally:
            stream.close()
    try:
        for i, aw in enumerate(first):
            _check_awaitable(i, aw)
    except BaseException:
        _refuse(first)
        raise
    ready: deque[tuple[int, Outcome]] = deque()
    wakeup: list[asyncio.Future[None]] = []

    def wake() -> None:
        if wakeup and not wakeup[0].done():
            wakeup[0].set_result(None)

    def sink(i: int, outcome: Outcome) -> None:
        ready.append((i, outcome))
        wake()

    batch = _HostBatch(options, source, True, sink, reporter)
    # The batch may end after its last outcome (a cut-off native op's future is gone
    # only later): the consumer waiting for more hears of that too.
    batch.finished.add_done_callback(lambda _: wake())
    batch.feed(first)
    if ended:
        batch.core.pulled(True)
    del first
    try:
        batch.poll()
        while True:
            if ready:
                while ready:
                    yield ready.popleft()
                    # The consumer came back for more: that outcome has been read.
                    batch.core.read(1)
                batch.poll()
            elif batch.finished.done():
                if batch.error is not None:
                    raise batch.error
                return
            else:
                wakeup[:] = [batch.loop.create_future()]
                await wakeup[0]
    finally:
        batch.abandon()

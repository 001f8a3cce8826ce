"""Native ops: lazy, run at most once, cancellable, and their errors."""

from __future__ import annotations

import asyncio
import builtins
import pickle

import fanio
import pytest
from conftest import eventually_no_running_ops


async def test_sleep_resolves_with_its_value_itself() -> None:
    value = {"a": [1, 2]}
    assert await fanio.sleep(0.001, value) is value
    assert await fanio.sleep(0) is None


async def test_fail_rejects_with_e_failed() -> None:
    with pytest.raises(fanio.FanioError) as info:
        await fanio.fail(0.001, "it broke")
    assert info.value.code == "E_FAILED"
    assert str(info.value) == "it broke"


async def test_an_op_is_lazy_until_awaited() -> None:
    fanio.reset_op_stats()
    op = fanio.sleep(10)
    await asyncio.sleep(0.02)
    assert fanio.op_stats() == {"running": 0, "peak": 0}
    task = asyncio.create_task(_await(op))
    await asyncio.sleep(0.02)
    assert fanio.op_stats()["running"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await eventually_no_running_ops() == 0


async def _await(op: fanio.Op) -> object:
    return await op


async def test_an_op_runs_at_most_once() -> None:
    value = object()
    op = fanio.sleep(0.01, value)
    assert await op is value
    fanio.reset_op_stats()
    assert await op is value
    assert await fanio.settle([op]) == [fanio.Fulfilled(value)]
    assert fanio.op_stats()["peak"] == 0, "a settled op is not run again"
    failing = fanio.fail(0, "once")
    first = await fanio.settle([failing])
    second = await fanio.settle([failing])
    assert first == second
    assert second[0].error.code == "E_FAILED"


async def test_two_awaits_of_a_running_op_share_one_run() -> None:
    fanio.reset_op_stats()
    op = fanio.sleep(0.05, "shared")
    assert await asyncio.gather(_await(op), _await(op)) == ["shared", "shared"]
    assert fanio.op_stats()["peak"] == 1


async def test_cancelling_the_awaiting_task_drops_the_rust_future() -> None:
    op = fanio.sleep(30, "never")
    task = asyncio.create_task(_await(op))
    await asyncio.sleep(0.02)
    assert fanio.op_stats()["running"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await eventually_no_running_ops() == 0
    with pytest.raises(fanio.Cancelled) as info:
        await op
    assert info.value.code == "E_CANCELLED"


@pytest.mark.parametrize(
    "call",
    [
        lambda: fanio.sleep(-1),
        lambda: fanio.sleep(float("nan")),
        lambda: fanio.sleep(float("inf")),
        lambda: fanio.sleep("1"),  # type: ignore[arg-type]
        lambda: fanio.sleep(True),
        lambda: fanio.fail(-0.5, "x"),
    ],
)
def test_bad_delays_are_invalid_arguments(call: object) -> None:
    with pytest.raises(fanio.InvalidArgument) as info:
        call()  # type: ignore[operator]
    assert info.value.code == "E_INVALID_ARGUMENT"


def test_error_hierarchy_and_codes() -> None:
    assert issubclass(fanio.InvalidArgument, ValueError)
    assert issubclass(fanio.TimeoutError, builtins.TimeoutError)
    for cls, code in [
        (fanio.FanioError, "E_FAILED"),
        (fanio.InvalidArgument, "E_INVALID_ARGUMENT"),
        (fanio.TimeoutError, "E_TIMEOUT"),
        (fanio.Cancelled, "E_CANCELLED"),
        (fanio.ClosedError, "E_CLOSED"),
        (fanio.ConnectError, "E_CONNECT"),
        (fanio.TlsError, "E_TLS"),
        (fanio.HttpStatusError, "E_HTTP_STATUS"),
        (fanio.ProtocolError, "E_PROTOCOL"),
        (fanio.DecodeError, "E_DECODE"),
        (fanio.BodyTooLarge, "E_BODY_TOO_LARGE"),
        (fanio.DatabaseError, "E_DB"),
        (fanio.PoolTimeout, "E_POOL_TIMEOUT"),
        (fanio.NoRows, "E_NO_ROWS"),
    ]:
        assert issubclass(cls, fanio.FanioError)
        err = cls("message")
        assert err.code == code
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is cls and back.code == code and str(back) == "message"
    assert issubclass(fanio.ConnectError, ConnectionError)
    assert issubclass(fanio.PoolTimeout, fanio.TimeoutError)
    assert issubclass(fanio.IntegrityError, fanio.DatabaseError)


def test_errors_carry_fields_through_pickle_and_pick_their_class() -> None:
    from fanio._errors import make

    err = make("E_HTTP_STATUS", "404 Not Found for http://x/", {"status": 404, "url": "http://x/"})
    assert type(err) is fanio.HttpStatusError
    assert (err.status, err.url, err.fields) == (404, "http://x/", {"status": 404, "url": "http://x/"})
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is fanio.HttpStatusError and back.status == 404 and back.url == "http://x/"
    unique = make("E_DB", "duplicate key", {"sqlstate": "23505", "constraint": "t_pkey"})
    assert type(unique) is fanio.IntegrityError and unique.code == "E_DB" and unique.constraint == "t_pkey"
    assert type(make("E_DB", "syntax", {"sqlstate": "42601"})) is fanio.DatabaseError


def test_outcomes_compare_match_print_and_pickle() -> None:
    ok = fanio.Fulfilled([1, 2])
    bad = fanio.Rejected(fanio.TimeoutError("late"))
    assert ok == fanio.Fulfilled([1, 2]) and ok != fanio.Fulfilled([1])
    assert bad == fanio.Rejected(fanio.TimeoutError("late"))
    assert bad != fanio.Rejected(fanio.Cancelled("late"))
    assert (ok.status, bad.status) == ("fulfilled", "rejected")
    assert repr(ok) == "Fulfilled([1, 2])"
    assert repr(bad) == "Rejected(TimeoutError('late'))"
    match bad:
        case fanio.Fulfilled(value):
            pytest.fail(f"matched {value}")
        case fanio.Rejected(error):
            assert error.code == "E_TIMEOUT"
    assert pickle.loads(pickle.dumps(ok)) == ok
    assert pickle.loads(pickle.dumps(bad)) == bad


def test_public_classes_are_generic_at_runtime() -> None:
    assert fanio.Fulfilled[int].__origin__ is fanio.Fulfilled  # type: ignore[attr-defined]
    assert fanio.Rejected[fanio.FanioError].__args__ == (fanio.FanioError,)  # type: ignore[attr-defined]
    assert fanio.Op[str].__origin__ is fanio.Op  # type: ignore[attr-defined]

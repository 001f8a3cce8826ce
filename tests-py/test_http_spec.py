"""Runs every scenario of tests-spec/http.json against the testbed server, under asyncio
and under uvloop (format: tests-spec/README.md)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import fanio
import pytest
import uvloop
from conftest import ROOT, eventually_no_running_ops

from testbed import Testbed as Server  # not `Testbed`: pytest would try to collect it

SCENARIOS = json.loads((ROOT / "tests-spec" / "http.json").read_text())["scenarios"]
LOOPS: dict[str, Callable[[Coroutine[Any, Any, None]], None]] = {"asyncio": asyncio.run, "uvloop": uvloop.run}
MS_OPTIONS = ("timeout", "connect_timeout", "read_timeout")


def substitute(value: Any, places: dict[str, str]) -> Any:
    """Fills `$http`, `$ca_pem`, ... into every string of a scenario, longest names first
    (`$http` is a prefix of `$https`)."""
    if isinstance(value, str):
        for name in sorted(places, key=len, reverse=True):
            value = value.replace(name, places[name])
        return value
    if isinstance(value, list):
        return [substitute(v, places) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, places) for k, v in value.items()}
    return value


def client_options(raw: dict[str, Any]) -> dict[str, Any]:
    out = dict(raw)
    for name in MS_OPTIONS:
        if isinstance(out.get(name), (int, float)):
            out[name] = out[name] / 1000
    if "headers" in out:
        out["headers"] = [tuple(pair) for pair in out["headers"]]
    if "retry" in out:
        retry = dict(out["retry"])
        for name in ("backoff", "backoff_max"):
            if name in retry:
                retry[name] = retry[name] / 1000
        out["retry"] = fanio.Retry(**retry)
    return out


def request_args(req: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    kw: dict[str, Any] = {}
    for name in ("params", "headers", "form"):
        if name in req:
            kw[name] = [tuple(pair) for pair in req[name]]
    for name in ("json", "content", "error_for_status"):
        if name in req:
            kw[name] = req[name]
    if "timeout" in req:
        kw["timeout"] = req["timeout"] / 1000
    return req["method"], req["url"], kw


def check_echo(response: fanio.Response, expect: dict[str, Any]) -> None:
    echo = response.json()
    received: dict[str, list[str]] = {}
    for name, value in echo["headers"]:
        received.setdefault(name, []).append(value)
    for key, want in expect.items():
        if key == "headers":
            for name, value in want.items():
                # Exactly this value arrived: a replaced header is not sent twice.
                assert received.get(name) == [value], (name, received.get(name))
        elif key == "header_prefix":
            for name, prefix in want.items():
                assert received[name][0].startswith(prefix), received[name]
        elif key == "json_body":
            assert json.loads(echo["body"]) == want
        else:
            assert echo[key] == want, (key, echo[key])


def check_response(response: fanio.Response, expect: dict[str, Any]) -> None:
    for key, want in expect.items():
        if key in ("status", "reason", "http_version", "url", "attempts"):
            assert getattr(response, key) == want, (key, getattr(response, key))
        elif key == "body_len":
            assert len(response.content) == want
        elif key == "text":
            assert response.text() == want
        elif key == "json":
            assert response.json() == want
        elif key == "json_has":
            doc = response.json()
            for name, value in want.items():
                assert doc[name] == value, (name, doc[name])
        elif key in ("text_error", "json_error"):
            with pytest.raises(fanio.FanioError) as info:
                getattr(response, key.removesuffix("_error"))()
            assert info.value.code == want
        elif key == "headers":
            for name, value in want.items():
                assert response.headers.get_all(name)[0] == value
                assert response.headers[name.upper()].split(", ")[0] == value
        elif key == "header_all":
            for name, count in want.items():
                assert len(response.headers.get_all(name)) == count
        elif key == "echo":
            check_echo(response, want)
        else:
            raise AssertionError(f"unknown expectation {key!r}")


def check_error(error: BaseException, expect: dict[str, Any]) -> None:
    assert isinstance(error, fanio.FanioError), repr(error)
    if "code" in expect:
        assert error.code == expect["code"], repr(error)
    else:
        assert error.code in expect["code_in"], repr(error)
    for name, value in expect.get("fields", {}).items():
        assert getattr(error, name) == value, (name, error.fields)


async def run_scenario(scenario: dict[str, Any]) -> None:
    if "expect_client_error" in scenario:
        with pytest.raises(fanio.FanioError) as info:
            fanio.Client(**client_options(scenario.get("client", {})))
        assert info.value.code == scenario["expect_client_error"]
        return
    start = time.perf_counter()
    async with fanio.Client(**client_options(scenario.get("client", {}))) as client:
        for req in scenario["requests"]:
            method, url, kw = request_args(req)
            if "expect_error" in req and scenario.get("before_io"):
                fanio.reset_op_stats()
                with pytest.raises(fanio.FanioError) as info:
                    client.request(method, url, **kw)
                assert fanio.op_stats()["peak"] == 0
                check_error(info.value, req["expect_error"])
                continue
            op = client.request(method, url, **kw)
            if "expect_error" in req:
                with pytest.raises(fanio.FanioError) as info:
                    await op
                check_error(info.value, req["expect_error"])
            else:
                check_response(await op, req.get("expect", {}))
    if "min_elapsed_ms" in scenario:
        assert time.perf_counter() - start >= scenario["min_elapsed_ms"] / 1000
    assert await eventually_no_running_ops() == 0


@pytest.mark.parametrize("loop", list(LOOPS))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any], loop: str, testbed: Server) -> None:
    places = {f"${name}": value for name, value in vars(testbed).items()}
    places["$closed"] = "http://127.0.0.1:1"
    places["$unique"] = uuid.uuid4().hex
    LOOPS[loop](run_scenario(substitute(scenario, places)))

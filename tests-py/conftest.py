"""Shared helpers of the Python suite."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import fanio

from testbed import testbed_fixture

ROOT = Path(__file__).resolve().parent.parent

# One testbed server for the whole session (tests/test_http*.py take `testbed`).
testbed = testbed_fixture()


async def eventually_no_running_ops(timeout: float = 2.0) -> int:
    """Waits until no native op future is alive; cancellation drops them on the runtime,
    a moment after the host side has moved on. Returns what is still running."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while fanio.op_stats()["running"] and loop.time() < end:
        await asyncio.sleep(0.005)
    return fanio.op_stats()["running"]


def run_script(code: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter (exit, fork and runtime tests)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )

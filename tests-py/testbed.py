"""Runs the prebuilt testbed server (crate `testbed/`) for the Python tests.

Nothing is built here: the binary comes from env FANIO_TESTBED or the repo's
target/release/testbed (`cargo build --release -p testbed`). The server exits when its
stdin closes, so a test run that dies never leaves it behind.

    from testbed import testbed_fixture, connections
    testbed = testbed_fixture()            # in conftest.py: a session-scoped fixture

    def test_x(testbed):
        ... testbed.http ...
        assert connections(testbed.http)["open"] == 0
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Testbed:
    """URLs and PEM paths of a running testbed."""

    http: str
    https: str
    mtls: str
    proxy: str
    socks: str
    pg_tls: str
    pg_tls_other_name: str
    ca_pem: str
    client_cert: str
    client_key: str
    other_ca_pem: str


def binary_path() -> Path:
    return Path(os.environ.get("FANIO_TESTBED") or ROOT / "target" / "release" / "testbed")


@contextmanager
def testbed(threads: int = 1) -> Iterator[Testbed]:
    """Starts the testbed, yields its URLs, and stops it on exit."""
    binary = binary_path()
    if not binary.is_file():
        raise RuntimeError(f"{binary} not found: run `cargo build --release -p testbed` or set FANIO_TESTBED")
    proc = subprocess.Popen(
        [str(binary), "--threads", str(threads)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"testbed exited before printing its URLs (exit code {proc.wait(5)})")
        yield Testbed(**json.loads(line))
    finally:
        # Closing stdin is the stop signal; terminate only if it does not listen.
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def testbed_fixture(scope: str = "session") -> Callable[..., Any]:
    """A pytest fixture (session-scoped by default) yielding a running `Testbed`:
    assign it to a name in conftest.py, that name is the fixture."""
    import pytest

    @pytest.fixture(scope=scope)  # type: ignore[misc]
    def _testbed() -> Iterator[Testbed]:
        with testbed() as tb:
            yield tb

    return _testbed


def _control(url: str, method: str) -> dict[str, int]:
    # urllib opens a fresh connection per request; its first request is to
    # /__connections, so the server leaves it out of every number it reports.
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def connections(base_url: str) -> dict[str, int]:
    """`{"open", "total", "peak", "pending", "proxied"}` from GET /__connections
    (any listener of the testbed counts all of them)."""
    return _control(base_url.rstrip("/") + "/__connections", "GET")


def reset_connections(base_url: str) -> dict[str, int]:
    """POST /__connections/reset: total, peak and proxied start over; returns the counters."""
    return _control(base_url.rstrip("/") + "/__connections/reset", "POST")

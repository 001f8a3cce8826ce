"""Shared helpers of the database tests: where Postgres is, and fresh names."""

from __future__ import annotations

import asyncio
import os
import uuid

import fanio
import pytest

PG_URL = os.environ.get("FANIO_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def unique(prefix: str = "fanio_t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def pg_or_skip(**options: object) -> fanio.Database:
    """A Postgres database, or a skip saying why; with CI=true a missing server fails."""
    try:
        return await asyncio.wait_for(fanio.connect(PG_URL, **options), 10)  # type: ignore[arg-type]
    except (fanio.ConnectError, asyncio.TimeoutError) as e:
        if os.environ.get("CI") == "true":
            raise
        print(f"Postgres tests skipped: no server at {PG_URL} ({e})")
        pytest.skip(f"no Postgres server at {PG_URL}: {e}")

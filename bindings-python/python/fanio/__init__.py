"""fanio: concurrent I/O from one Rust core, with bounded fan-out and settled results."""

from __future__ import annotations

import atexit

from . import _fanio
from ._engine import as_settled, gather, settle
from ._errors import (
    BodyTooLarge,
    Cancelled,
    ClosedError,
    ConnectError,
    DatabaseError,
    DecodeError,
    FanioError,
    HttpStatusError,
    IntegrityError,
    InvalidArgument,
    NoRows,
    PoolTimeout,
    ProtocolError,
    TimeoutError,
    TlsError,
)
from ._fanio import (
    Database,
    Fulfilled,
    Op,
    Record,
    Rejected,
    Transaction,
    connect,
    fail,
    op_stats,
    reset_op_stats,
    sleep,
)
from ._http import Client, Headers, Response, Retry

# Ops still pending at interpreter exit are dropped, not polled during teardown.
atexit.register(_fanio._shutdown)

__all__ = [
    "BodyTooLarge",
    "Cancelled",
    "Client",
    "ClosedError",
    "ConnectError",
    "Database",
    "DatabaseError",
    "DecodeError",
    "FanioError",
    "Fulfilled",
    "Headers",
    "HttpStatusError",
    "IntegrityError",
    "InvalidArgument",
    "NoRows",
    "PoolTimeout",
    "ProtocolError",
    "Record",
    "TlsError",
    "Op",
    "Rejected",
    "Response",
    "Retry",
    "TimeoutError",
    "Transaction",
    "as_settled",
    "connect",
    "fail",
    "gather",
    "op_stats",
    "reset_op_stats",
    "settle",
    "sleep",
]

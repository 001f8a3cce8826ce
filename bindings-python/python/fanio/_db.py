"""The Python halves of the database API's async context managers.

``async with db:`` and ``async with db.transaction() as tx:`` need a coroutine on enter;
everything else (begin, commit, rollback, close) is a native op of the core.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from ._errors import FanioError, InvalidArgument

if TYPE_CHECKING:
    from ._fanio import Op, Transaction

_T = TypeVar("_T")


async def enter(db: _T) -> _T:
    """``Database.__aenter__``: the database itself."""
    return db


class TransactionContext:
    """What ``Database.transaction()`` returns: begins on enter, commits on a clean exit,
    rolls back on an exception or a cancellation of the task."""

    __slots__ = ("_begin", "_tx")

    def __init__(self, begin: Op[Transaction]) -> None:
        self._begin = begin
        self._tx: Transaction | None = None

    async def __aenter__(self) -> Transaction:
        if self._tx is not None:
            # Its begin op already ran: a second transaction needs `db.transaction()` again.
            raise InvalidArgument("a transaction context is entered once: call db.transaction() again")
        self._tx = await self._begin
        return self._tx

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx = self._tx
        if tx is None:
            return
        if exc_type is None:
            await tx.commit()
            return
        try:
            await tx.rollback()
        except FanioError:
            # The body's exception is the one that matters; a failed rollback (a lost
            # connection) leaves nothing open: the core discards that connection.
            pass

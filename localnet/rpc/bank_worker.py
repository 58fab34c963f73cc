"""The one thread that talks to the Bank, with group commit for sendTransaction.

Why one thread: the Bank is synchronous and owns the SQLite ledger; calling it on the event
loop would stall every socket while a transaction executes or the ledger fsyncs. All Bank
access (reads, slot ticks, airdrops) is queued here in arrival order.

Why group commit: each ``bank.process_transactions`` call makes one durable commit (one
fsync). The worker drains everything that queued up while it was busy, so transactions that
arrive together are committed together; under load the fsync cost is shared by the whole batch,
while a lone transaction is still committed immediately (no artificial wait).
"""
from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable

from solders.transaction import VersionedTransaction

MAX_BATCH = 512
_STOP = object()


@dataclass
class SendOutcome:
    """What happened to one submitted transaction.

    ``preflight`` is the TxResult of a preflighted transaction that failed (nothing was recorded
    or charged); otherwise ``result`` is the Bank's TxResult of the real processing.
    """
    result: Any = None
    preflight: Any = None


@dataclass
class _Send:
    tx: VersionedTransaction
    preflight: bool
    future: asyncio.Future
    verified: bool = False


@dataclass
class _Call:
    fn: Callable[[], Any]
    future: asyncio.Future | None


class BankWorker:
    """Runs Bank calls in FIFO order on a dedicated thread; consecutive sends are batched."""

    def __init__(self, bank: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.bank = bank
        self._loop = loop
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="bank-worker", daemon=True)
        self._stopped = False
        self.batches = 0
        self.batched_txs = 0
        self._thread.start()

    # ------------------------------------------------------------ event-loop side
    def call(self, fn: Callable[[], Any]) -> asyncio.Future:
        """Run ``fn()`` on the worker; await the returned future for its result."""
        future = self._loop.create_future()
        if self._stopped:
            future.set_exception(RuntimeError("the cluster is shutting down"))
        else:
            self._queue.put(_Call(fn, future))
        return future

    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn()`` on the worker without waiting (slot ticks)."""
        if not self._stopped:
            self._queue.put(_Call(fn, None))

    def send(self, tx: VersionedTransaction, *, preflight: bool, verified: bool = False) -> asyncio.Future:
        """Submit for group commit; ``verified``: signatures were already checked by the caller."""
        future = self._loop.create_future()
        if self._stopped:
            future.set_exception(RuntimeError("the cluster is shutting down"))
        else:
            self._queue.put(_Send(tx, preflight, future, verified))
        return future

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then end the thread (the caller closes the Bank afterwards)."""
        if not self._stopped:
            self._stopped = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    # ------------------------------------------------------------ worker side
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            items = [item]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(i is _STOP for i in items)
            done: list[tuple[asyncio.Future, bool, Any]] = []
            sends: list[_Send] = []
            for it in items:
                if isinstance(it, _Send):
                    sends.append(it)
                    continue
                if sends:
                    self._process_sends(sends, done)
                    sends = []
                if isinstance(it, _Call):
                    try:
                        value = it.fn()
                        if it.future is not None:
                            done.append((it.future, True, value))
                    except BaseException as exc:  # delivered to the awaiting handler
                        if it.future is not None:
                            done.append((it.future, False, exc))
            if sends:
                self._process_sends(sends, done)
            if done:
                try:
                    self._loop.call_soon_threadsafe(_deliver, done)
                except RuntimeError:  # loop already closed during shutdown
                    pass
            if stop:
                return

    def _process_sends(self, sends: list[_Send], done: list) -> None:
        """One Bank call for the batch; a preflighted send commits only if it succeeds (the Bank
        executes it once: no separate simulation)."""
        try:
            # Signatures checked on the event loop need no second verification here.
            verify = not all(s.verified for s in sends)
            results = self.bank.process_transactions([s.tx for s in sends], sig_verify=verify,
                                                     preflight=[s.preflight for s in sends])
        except BaseException as exc:
            for s in sends:
                done.append((s.future, False, exc))
            return
        self.batches += 1
        self.batched_txs += len(sends)
        for s, r in zip(sends, results):
            refused = s.preflight and not r.recorded
            done.append((s.future, True, SendOutcome(preflight=r) if refused else SendOutcome(result=r)))


def _deliver(done: list[tuple[asyncio.Future, bool, Any]]) -> None:
    for future, ok, value in done:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

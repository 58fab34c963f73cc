"""The GUI's asyncio loop: qasync's QEventLoop, with cancelled timers released at once.

Why not qasync's loop as it is (qasync 0.28.0): every ``call_later``/``call_at`` becomes a Qt
timer whose handle sits in a dict until the timer *fires*, even after the handle was
cancelled. Every network call the wallet makes arms a timeout (aiohttp's default is 300 s,
httpx's, websockets' keepalive) and cancels it when the answer arrives, so a live window kept
one Qt timer and one dead ``asyncio.Handle`` per request for up to five minutes: the refcount of
``None`` rose ~40 per second (each cancelled handle keeps two ``None`` fields) and thousands of
Qt timers stayed armed. On PySide6 6.12.0, whose ``killTimer`` drops a reference to ``None``
per call, the same churn ended in ``none_dealloc`` after about four minutes.

Here a cancelled handle kills its Qt timer and leaves the table immediately, so the number of
live timers equals the number of pending callbacks.

Second, socket readiness: qasync creates a new ``QSocketNotifier`` and connects its
``activated`` signal every time asyncio starts watching a socket, and disconnects it when it
stops (several times per HTTP request). PySide6 6.11.3 keeps one reference to ``None`` per
``connect`` and per ``disconnect`` (tests/gui/test_qt_refcounts.py shows it on a bare
notifier; 6.12.0 *drops* one instead, which is the crash), so the refcount of ``None`` rose
~40 per second under a live window. Here each file descriptor gets one notifier per direction,
connected once and then only enabled and disabled, so watching a socket costs no signal
connection at all. Everything else is qasync's.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any, Callable

import qasync
from PySide6 import QtCore
from PySide6.QtCore import QSocketNotifier

log = logging.getLogger(__name__)


class _ReleasingHandle(asyncio.Handle):
    """An ``asyncio.Handle`` that tells its loop when it is cancelled (as TimerHandle does)."""

    __slots__ = ()

    def cancel(self) -> None:
        if not self._cancelled:
            super().cancel()
            release = getattr(self._loop, "_release_cancelled", None)
            if release is not None:
                release(self)


class ReleasingTimers(QtCore.QObject):
    """One Qt timer per pending callback; a cancelled callback's timer is killed at once.

    The same contract as qasync's ``_SimpleTimer`` (``add_callback``, ``stop``, ``set_debug``),
    so the loop uses it unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self._by_id: dict[int, asyncio.Handle] = {}
        self._by_handle: dict[asyncio.Handle, int] = {}
        self._stopped = False

    def __len__(self) -> int:
        """Pending callbacks (= armed Qt timers): the soak tests watch that this stays bounded."""
        return len(self._by_id)

    def add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        timer_id = self.startTimer(int(max(0.0, delay) * 1000))
        self._by_id[timer_id] = handle
        self._by_handle[handle] = timer_id
        return handle

    def release(self, handle: asyncio.Handle) -> None:
        timer_id = self._by_handle.pop(handle, None)
        if timer_id is not None:
            self._by_id.pop(timer_id, None)
            self.killTimer(timer_id)

    def timerEvent(self, event: QtCore.QTimerEvent) -> None:  # noqa: N802 (Qt's name)
        timer_id = event.timerId()
        self.killTimer(timer_id)
        handle = self._by_id.pop(timer_id, None)
        if handle is None:
            return
        self._by_handle.pop(handle, None)
        if not self._stopped and not handle._cancelled:
            handle._run()

    def stop(self) -> None:
        self._stopped = True

    def set_debug(self, enabled: bool) -> None:
        """qasync calls this from ``set_debug``; slow-callback logging is asyncio's own."""


class WalletEventLoop(qasync.QEventLoop):
    """qasync's QEventLoop with :class:`ReleasingTimers` in place of its timer table."""

    def __init__(self, app: Any = None, set_running_loop: bool = False, already_running: bool = False) -> None:
        # before qasync's __init__: asyncio's constructor already watches its self-pipe
        self._readers = _NotifierPool(self, QSocketNotifier.Type.Read)
        self._writers = _NotifierPool(self, QSocketNotifier.Type.Write)
        super().__init__(app, set_running_loop=set_running_loop, already_running=already_running)
        self._timer = ReleasingTimers()

    @property
    def pending_timers(self) -> int:
        return len(self._timer)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any,
                   context: contextvars.Context | None = None) -> asyncio.Handle:
        if asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with call_later")
        if not callable(callback):
            raise TypeError(f"callback must be callable: {type(callback).__name__}")
        return self._timer.add_callback(_ReleasingHandle(callback, args, self, context=context), delay)

    def _release_cancelled(self, handle: asyncio.Handle) -> None:
        self._timer.release(handle)

    @property
    def watched_fds(self) -> int:
        return len(self._readers) + len(self._writers)

    def _add_reader(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        self._check_closed()
        self._readers.add(fd, callback, args)

    def _remove_reader(self, fd: Any) -> bool:
        return False if self.is_closed() else self._readers.remove(fd)

    def _add_writer(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        self._check_closed()
        self._writers.add(fd, callback, args)

    def _remove_writer(self, fd: Any) -> bool:
        return False if self.is_closed() else self._writers.remove(fd)

    def close(self) -> None:
        if self.is_running() or self.is_closed():
            super().close()  # qasync raises / returns as it does for its own loop
            return
        super().close()
        self._readers.close()
        self._writers.close()


class _FdWatch:
    """One direction of one file descriptor: its notifier (connected once) and its callback."""

    __slots__ = ("notifier", "callback", "args", "generation")

    def __init__(self, notifier: QSocketNotifier) -> None:
        self.notifier = notifier
        self.callback: Callable[..., Any] | None = None
        self.args: tuple[Any, ...] = ()
        self.generation = 0  # bumped on every add/remove: a queued wake-up of an old one is void


def _fileno(fd: Any) -> int:
    if isinstance(fd, int):
        return fd
    try:
        return int(fd.fileno())
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"Invalid file object: {fd!r}") from None


class _NotifierPool:
    """Readers or writers of the loop, one reusable ``QSocketNotifier`` per descriptor.

    Same semantics as qasync's per-registration notifiers: the notifier is disabled while its
    callback is queued and re-enabled after it ran, unless the watch was removed or replaced
    in between."""

    def __init__(self, loop: asyncio.AbstractEventLoop, kind: QSocketNotifier.Type) -> None:
        self._loop = loop
        self._kind = kind
        self._watches: dict[int, _FdWatch] = {}

    def __len__(self) -> int:
        return sum(1 for w in self._watches.values() if w.callback is not None)

    def add(self, fd: Any, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        number = _fileno(fd)
        watch = self._watches.get(number)
        if watch is None:
            notifier = QSocketNotifier(number, self._kind)
            notifier.setEnabled(False)
            watch = self._watches[number] = _FdWatch(notifier)
            notifier.activated["int"].connect(lambda *_a, _n=number: self._ready(_n))
        watch.callback, watch.args = callback, args
        watch.generation += 1
        watch.notifier.setEnabled(True)

    def remove(self, fd: Any) -> bool:
        watch = self._watches.get(_fileno(fd))
        if watch is None or watch.callback is None:
            return False
        watch.notifier.setEnabled(False)
        watch.callback, watch.args = None, ()
        watch.generation += 1
        return True

    def _ready(self, number: int) -> None:
        watch = self._watches.get(number)
        if watch is None:
            return
        watch.notifier.setEnabled(False)
        if watch.callback is not None:
            self._loop.call_soon(self._run, watch, watch.generation)

    @staticmethod
    def _run(watch: _FdWatch, generation: int) -> None:
        if watch.generation != generation or watch.callback is None:
            return  # removed or replaced while the wake-up was queued
        try:
            watch.callback(*watch.args)
        finally:
            if watch.generation == generation and watch.callback is not None:
                watch.notifier.setEnabled(True)

    def close(self) -> None:
        for watch in self._watches.values():
            watch.notifier.setEnabled(False)
            watch.callback, watch.args = None, ()
        self._watches.clear()

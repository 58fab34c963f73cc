"""Run Python's cyclic garbage collector on the GUI thread only.

Why: CPython's automatic collector runs in whichever thread happens to allocate when a
generation's threshold is crossed. The wallet has worker threads that allocate a lot (the
prover's witness and proof buffers, argon2id unlocks, executor jobs). If such a thread
collects a reference cycle that holds a Qt wrapper (a closed window, a view whose slots
capture ``self``), the C++ QObject is destroyed on that thread while the GUI thread may be
painting or delivering an event to it: a segfault in the GUI thread some time later. That is
the most likely reading of a GUI-thread segfault the suite hit under load while a proof ran
(diagnosed from the trace, not reproduced on demand).

The cure is the one pyqtgraph ships (``pyqtgraph.util.garbage_collector``): disable
automatic collection and collect from a QTimer on the GUI thread, generation by generation
with the interpreter's own thresholds. Reference counting still frees acyclic garbage at
once on any thread, which is safe: the Qt objects in question are owned by Qt parents or
only ever referenced from the GUI thread.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

DEFAULT_INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """While started, the cyclic GC runs only from this object's timer (on the GUI thread)."""

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()
        self.collections = 0

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect everything now (on this thread), then give automatic collection back."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, as CPython would."""
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        generation = -1
        for level in range(3):
            if counts[level] > thresholds[level]:
                generation = level
            else:
                break
        if generation >= 0:
            gc.collect(generation)
            self.collections += 1

"""The GUI-thread collector: while it runs, a worker thread's allocations never trigger the
cyclic GC (so never destroy a Qt object off the GUI thread); its timer collects instead."""
from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from wallet.gui.gc_guard import MainThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self
        self.qobject = QObject()


def test_worker_threads_never_collect_and_the_timer_does(qtbot) -> None:
    gc.enable()  # as outside the GUI tests' own collector
    collector = MainThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        destroyed_on: list[bool] = []
        cycle = Cycle()
        weakref.finalize(cycle, lambda: destroyed_on.append(  # runs on the collecting thread
            threading.current_thread() is threading.main_thread()))
        del cycle

        def allocate() -> None:  # cyclic garbage far past generation 0's threshold
            for _ in range(5_000):
                junk: list = []
                junk.append(junk)
        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert destroyed_on == []  # the worker's allocations did not collect the cycle
        qtbot.waitUntil(lambda: destroyed_on != [], timeout=5000)
        assert destroyed_on == [True] and collector.collections >= 1
    finally:
        collector.stop()
    assert gc.isenabled()  # given back as it was found
    gc.disable()  # the autouse fixture's collector still owns the GC for this test

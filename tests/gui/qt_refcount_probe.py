"""Drive every Qt path the wallet relies on a few thousand times; print how far the refcounts of
``None``, ``True`` and ``False`` moved, as JSON.

Run in a child process by tests/gui/test_qt_refcounts.py, because a binding with the defect
does not fail politely: PySide6-Essentials 6.12.0 aborts the interpreter ("deallocating None" /
"deallocating True or False") within a few hundred calls, and the test must report that as a
failure instead of taking the whole suite down with it.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from typing import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6 import __version__ as PYSIDE_VERSION  # noqa: E402
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal  # noqa: E402
from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QTableWidget, QTableWidgetItem  # noqa: E402

from wallet.gui.event_loop import WalletEventLoop  # noqa: E402
from wallet.gui.health import singleton_refcounts  # noqa: E402
from wallet.gui.table_widgets import fill_table  # noqa: E402


class Emitter(QObject):
    any_value = Signal(object)
    flag = Signal(bool)
    pair = Signal(bool, str)


class Rows(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, str]] = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 2

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return str(self.rows[index.row()][index.column()])

    def replace(self, rows: list[tuple[int, str]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()


def measure(name: str, step: Callable[[], None], n: int, results: dict) -> None:
    for _ in range(50):  # warm-up: first calls fill caches, not leaks
        step()
    before = singleton_refcounts()
    for _ in range(n):
        step()
    after = singleton_refcounts()
    results[name] = {k: after[k] - before[k] for k in before}
    print(name, results[name], file=sys.stderr, flush=True)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # ANOMI_PROBE_STOCK_QASYNC=1: qasync's own loop, to show what WalletEventLoop fixes
    loop = qasync.QEventLoop(app) if os.environ.get("ANOMI_PROBE_STOCK_QASYNC") else WalletEventLoop(app)
    asyncio.set_event_loop(loop)
    results: dict[str, dict[str, int]] = {}
    emitter = Emitter()
    seen: list[object] = []
    emitter.any_value.connect(lambda v: seen.append(v) if len(seen) < 1 else None)
    emitter.flag.connect(lambda v: None)
    emitter.pair.connect(lambda ok, text: None)
    holder = QObject()

    def qt_timer() -> None:
        holder.killTimer(holder.startTimer(1000))
    measure("QObject.startTimer/killTimer", qt_timer, 3000, results)
    measure("Signal(bool).emit(True/False)", lambda: (emitter.flag.emit(True), emitter.flag.emit(False)), 3000, results)
    measure("Signal(object).emit(None)", lambda: emitter.any_value.emit(None), 3000, results)
    measure("Signal(object).emit(object)", lambda: emitter.any_value.emit({"slot": 1, "ok": True}), 3000, results)
    measure("Signal(bool, str).emit", lambda: emitter.pair.emit(False, "offline"), 3000, results)

    label, bar, table = QLabel(), QProgressBar(), QTableWidget(1, 2)
    model, std = Rows(), QStandardItemModel(0, 2)

    def widgets() -> None:
        label.setText("1.5 SOL")
        label.setEnabled(True)
        bar.setValue(40)
        table.setItem(0, 0, QTableWidgetItem("285"))
        model.replace([(1, "a"), (2, "b")])
        std.appendRow([QStandardItem("x"), QStandardItem("y")])
        std.removeRow(0)
    measure("widgets and models", widgets, 2000, results)
    queue_like = QTableWidget(0, 7)
    rows = [[f"#{i}", "buyer", "Pending", "10", "285", "2,850", "23:59:59"] for i in range(5)]
    fill_table(queue_like, rows, list(range(5)), align_right=(3, 4, 5, 6))
    queue_like.selectRow(2)  # as in the app: a record is selected while the queue refreshes
    measure("fill_table (queue/book refresh, a row selected)",
            lambda: fill_table(queue_like, rows, list(range(5)), align_right=(3, 4, 5, 6)), 500, results)

    async def loop_paths(n: int) -> None:
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        try:
            for _ in range(n):
                loop.call_later(300, lambda: None).cancel()  # a request's timeout, cancelled
                await asyncio.sleep(0)                        # call_soon through a Qt timer
                got = loop.create_future()
                loop.add_reader(b.fileno(), lambda: got.done() or got.set_result(b.recv(16)))
                a.send(b"x")
                await got
                loop.remove_reader(b.fileno())
                loop.add_writer(a.fileno(), lambda: None)
                loop.remove_writer(a.fileno())
                QTimer.singleShot(0, lambda: None)
        finally:
            a.close()
            b.close()

    loop.run_until_complete(loop_paths(50))
    before = singleton_refcounts()
    loop.run_until_complete(loop_paths(2000))
    after = singleton_refcounts()
    results["event loop: timers, sockets, singleShot"] = {k: after[k] - before[k] for k in before}
    loop.close()
    print(json.dumps({"pyside": PYSIDE_VERSION, "drift": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

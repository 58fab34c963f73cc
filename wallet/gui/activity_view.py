"""Activity: every transaction this window sent, its signature, status, slot and logs.

Why from the sender's events: TxSender publishes TxSubmitted, TxConfirmed (with the logs it
read back) and TxFailed (with the program's error named from its IDL and the simulation's
logs), so the view shows exactly what happened to each of the user's transactions - including
refusals that never left the wallet ("simulation failed, nothing was sent").
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from wallet.core.tx import TxConfirmed, TxFailed, TxSubmitted

from .bridge import CoreBridge
from .table_widgets import fill_table, make_table, selected_key

HEADERS = ["Time", "Status", "Slot", "What", "Signature"]


@dataclass
class Entry:
    key: str
    signature: str | None
    status: str
    at: float
    slot: int | None = None
    logs: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def what(self) -> str:
        """The instruction names the programs logged ("PlaceAskOrder, ..."), else the reason."""
        names = [line.split("Instruction: ", 1)[1] for line in self.logs
                 if line.startswith("Program log: Instruction: ")]
        text = ", ".join(dict.fromkeys(names))
        return text or self.reason[:80]


class ActivityView(QWidget):
    def __init__(self, bridge: CoreBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.entries: dict[str, Entry] = {}
        self._local_ids = itertools.count(1)
        self.table = make_table(HEADERS)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.copy_button = QPushButton("Copy signature")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel("Transactions sent from this window (newest first)"), 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        self.table.itemSelectionChanged.connect(self.show_selected)
        self.copy_button.clicked.connect(self._copy)
        bridge.txSubmitted.connect(self.on_submitted)
        bridge.txConfirmed.connect(self.on_confirmed)
        bridge.txFailed.connect(self.on_failed)

    def on_submitted(self, event: TxSubmitted) -> None:
        entry = self.entries.setdefault(event.signature, Entry(event.signature, event.signature, "", time.time()))
        entry.status = "submitted" if event.attempt == 1 else f"submitted (attempt {event.attempt})"
        self.refresh()

    def on_confirmed(self, event: TxConfirmed) -> None:
        entry = self.entries.setdefault(event.signature, Entry(event.signature, event.signature, "", time.time()))
        entry.status, entry.slot, entry.logs = "confirmed", event.slot, list(event.logs)
        self.refresh()

    def on_failed(self, event: TxFailed) -> None:
        if event.signature is None:  # refused before sending: no signature exists
            key = f"local-{next(self._local_ids)}"
            entry = self.entries.setdefault(key, Entry(key, None, "", time.time()))
            entry.status = "not sent (simulation failed)"
        else:
            entry = self.entries.setdefault(event.signature, Entry(event.signature, event.signature, "",
                                                                    time.time()))
            entry.status = "failed"
        entry.reason, entry.logs = event.reason, list(event.logs)
        self.refresh()

    def refresh(self) -> None:
        ordered = sorted(self.entries.values(), key=lambda e: e.at, reverse=True)
        rows = [[time.strftime("%H:%M:%S", time.localtime(e.at)), e.status,
                 "" if e.slot is None else f"{e.slot:,}", e.what, e.signature or "-"] for e in ordered]
        fill_table(self.table, rows, [e.key for e in ordered])
        self.show_selected()

    def show_selected(self) -> None:
        entry = self.entries.get(selected_key(self.table))
        if entry is None:
            self.detail.setPlainText("Select a transaction to see its logs.")
            return
        lines = [f"signature: {entry.signature or '(none: nothing was sent)'}", f"status: {entry.status}"]
        if entry.slot is not None:
            lines.append(f"slot: {entry.slot:,}")
        if entry.reason:
            lines.append(f"reason: {entry.reason}")
        lines += ["", "logs:"] + (entry.logs or ["(none)"])
        self.detail.setPlainText("\n".join(lines))

    def _copy(self) -> None:
        entry = self.entries.get(selected_key(self.table))
        if entry is not None and entry.signature:
            QGuiApplication.clipboard().setText(entry.signature)

"""The main window: a frame for the views plus a status bar. Views live in their own modules."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from .balances_view import BalancesView
from .bridge import CoreBridge


class MainWindow(QMainWindow):
    closed = Signal()  # the app quits when the main window closes (not when a dialog does)

    def __init__(self, bridge: CoreBridge, wallet_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"ANOMI wallet - {wallet_name}")
        self.resize(640, 420)
        self.bridge = bridge
        self.balances = BalancesView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.balances, "Balances")
        self.setCentralWidget(self.tabs)
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        bridge.slotChanged.connect(self.balances.on_slot)
        bridge.balanceChanged.connect(self.balances.on_balance)
        bridge.connectionChanged.connect(self.balances.on_connection)
        bridge.statusMessage.connect(self.status.setText)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.closed.emit()
        super().closeEvent(event)

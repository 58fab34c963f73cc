"""The main window: a frame for the views plus a status bar. Views live in their own modules."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from wallet.core.config import WalletConfig

from .activity_view import ActivityView
from .balances_view import BalancesView
from .book_view import BookView
from .bridge import CoreBridge
from .deals_view import DealsView
from .orders_view import OrdersView
from .proof_jobs_view import ProofJobsView
from .queue_view import QueueView
from .session import GuiSession
from .settings_view import SettingsView


class MainWindow(QMainWindow):
    closed = Signal()  # the app quits when the main window closes (not when a dialog does)

    def __init__(self, bridge: CoreBridge, wallet_name: str, session: GuiSession | None = None,
                 config: WalletConfig | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"ANOMI wallet - {wallet_name}")
        self.resize(1180, 760 if session is not None else 420)
        self.bridge = bridge
        self.balances = BalancesView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.balances, "Balances")
        if session is not None:  # a wallet that can sign: the trading views
            self.book = BookView(bridge, session)
            self.orders = OrdersView(bridge, session)
            self.queue = QueueView(bridge, session)
            self.deals = DealsView(bridge, session)
            self.proofs = ProofJobsView(bridge, session)
            self.activity = ActivityView(bridge, session)
            self.settings = SettingsView(bridge, session, config)
            for view, title in ((self.book, "Order book"), (self.orders, "My orders"),
                                (self.queue, "Settlement"), (self.deals, "Private deals"),
                                (self.proofs, "Proof jobs"), (self.activity, "Activity"),
                                (self.settings, "Settings")):
                self.tabs.addTab(view, title)
        self.setCentralWidget(self.tabs)
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        bridge.slotChanged.connect(self.balances.on_slot)
        bridge.balanceChanged.connect(self.balances.on_balance)
        bridge.connectionChanged.connect(self.balances.on_connection)
        bridge.statusMessage.connect(self.status.setText)

    def show_tab(self, title: str) -> bool:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).lower() == title.lower():
                self.tabs.setCurrentIndex(i)
                return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.closed.emit()
        super().closeEvent(event)

"""The main window: a frame for the views plus a status bar. Views live in their own modules."""
from __future__ import annotations

import asyncio
from typing import Callable

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
                 config: WalletConfig | None = None, parent: QWidget | None = None, *,
                 deferred: bool = False):
        """`deferred`: build only the frame now and the trading views in `build_views()`, one
        per event-loop turn (building all seven at once keeps the GUI thread busy ~100 ms)."""
        super().__init__(parent)
        self.setWindowTitle(f"ANOMI wallet - {wallet_name}")
        self.resize(1180, 760 if session is not None else 420)
        self.bridge = bridge
        self._session, self._config = session, config
        self.balances = BalancesView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.balances, "Balances")
        self.setCentralWidget(self.tabs)
        if not deferred:
            for build in self._view_builders():
                build()
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        bridge.slotChanged.connect(self.balances.on_slot)
        bridge.balanceChanged.connect(self.balances.on_balance)
        bridge.connectionChanged.connect(self.balances.on_connection)
        bridge.statusMessage.connect(self.status.setText)

    def _view_builders(self) -> list[Callable[[], None]]:
        session, bridge, config = self._session, self.bridge, self._config
        if session is None:   # watch-only wallet: Balances only
            return []

        def add(name: str, title: str, make: Callable[[], QWidget]) -> Callable[[], None]:
            def build() -> None:
                view = make()
                setattr(self, name, view)
                self.tabs.addTab(view, title)
            return build
        return [add("book", "Order book", lambda: BookView(bridge, session)),
                add("orders", "My orders", lambda: OrdersView(bridge, session)),
                add("queue", "Settlement", lambda: QueueView(bridge, session)),
                add("deals", "Private deals", lambda: DealsView(bridge, session)),
                add("proofs", "Proof jobs", lambda: ProofJobsView(bridge, session)),
                add("activity", "Activity", lambda: ActivityView(bridge, session)),
                add("settings", "Settings", lambda: SettingsView(bridge, session, config))]

    async def build_views(self) -> None:
        """The trading views of a `deferred` window, one per turn of the event loop."""
        for build in self._view_builders():
            build()
            await asyncio.sleep(0)

    def show_tab(self, title: str) -> bool:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).lower() == title.lower():
                self.tabs.setCurrentIndex(i)
                return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.closed.emit()
        super().closeEvent(event)

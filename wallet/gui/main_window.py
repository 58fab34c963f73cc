"""The main window: the header, the left navigation and the page being shown, plus a status bar.

Views live in their own modules; this frame only places them. Pages are grouped in sections by
what a user does (nav_sidebar.py); ``show_tab`` still takes the old tab titles ("Order book",
"Settlement", ...) so scripts, tests and ``--tab`` keep working.
"""
from __future__ import annotations

import asyncio
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from wallet.core.config import WalletConfig

from .activity_view import ActivityView
from .balances_view import BalancesView
from .book_view import BookView
from .bridge import CoreBridge
from .deals_view import DealsView
from .header_bar import HeaderBar
from .nav_sidebar import NavSidebar, Page
from .orders_view import OrdersView
from .proof_jobs_view import ProofJobsView
from .queue_view import QueueView
from .session import GuiSession
from .settings_view import SettingsView
from .themes import apply_font_scale, apply_theme

SECTIONS = ("Trade", "Settle", "Private deals", "Activity", "Settings")
PAGES = {"book": Page("book", "Order book", "Trade"), "orders": Page("orders", "My orders", "Trade"),
         "queue": Page("queue", "Settlement queue", "Settle"), "proofs": Page("proofs", "Proof jobs", "Settle"),
         "deals": Page("deals", "Private deals", "Private deals"),
         "activity": Page("activity", "Transactions", "Activity"),
         "balances": Page("balances", "Account & balances", "Activity"),
         "settings": Page("settings", "Settings", "Settings")}
# the titles of the old tabs (scripts, tests, `anomi-wallet --tab`) -> pages
OLD_TAB_TITLES = {"balances": "balances", "order book": "book", "my orders": "orders", "settlement": "queue",
                  "private deals": "deals", "proof jobs": "proofs", "activity": "activity", "settings": "settings"}


class MainWindow(QMainWindow):
    closed = Signal()  # the app quits when the main window closes (not when a dialog does)

    def __init__(self, bridge: CoreBridge, wallet_name: str, session: GuiSession | None = None,
                 config: WalletConfig | None = None, parent: QWidget | None = None, *,
                 deferred: bool = False):
        """`deferred`: build only the frame now and the trading views in `build_views()`, one
        per event-loop turn (building all seven at once keeps the GUI thread busy ~100 ms)."""
        super().__init__(parent)
        self.setWindowTitle(f"ANOMI wallet - {wallet_name}")
        self.resize(1240, 780 if session is not None else 460)
        self.bridge = bridge
        self._session, self._config = session, config
        if config is not None:
            apply_theme(config.theme)
            apply_font_scale(config.font_scale)
        self.header = HeaderBar()
        self.nav = NavSidebar()
        self.pages = QStackedWidget()
        self.pages.setAccessibleName("Page")
        self._views: dict[str, QWidget] = {}
        if session is not None:
            for section in SECTIONS:
                self.nav.add_section(section)
        self.balances = BalancesView()
        self._add_page("balances", self.balances)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        frame = QWidget()
        outer = QVBoxLayout(frame)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.header)
        outer.addLayout(body, 1)
        self.setCentralWidget(frame)
        self.nav.pageSelected.connect(self._show_page)
        self.nav.select_page("balances")
        self.shortcuts = []
        for n in range(1, len(SECTIONS) + 1):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{n}"), self)
            shortcut.activated.connect(lambda i=n - 1: self.show_section(i))
            self.shortcuts.append(shortcut)
        if not deferred:
            for build in self._view_builders():
                build()
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        self._wire_header()

    def _wire_header(self) -> None:
        bridge, header, balances = self.bridge, self.header, self.balances
        bridge.slotChanged.connect(balances.on_slot)
        bridge.balanceChanged.connect(balances.on_balance)
        bridge.connectionChanged.connect(balances.on_connection)
        bridge.statusMessage.connect(self.status.setText)
        bridge.slotChanged.connect(header.on_slot)
        bridge.balanceChanged.connect(header.on_balance)
        bridge.connectionChanged.connect(header.on_connection)
        balances.accountsChanged.connect(header.set_accounts)
        balances.accountSelected.connect(header.show_account)
        balances.clusterChanged.connect(header.watch_mxe)
        header.accountPicked.connect(balances.select_address)

    def _add_page(self, name: str, view: QWidget) -> None:
        self._views[name] = view
        self.pages.addWidget(view)
        self.nav.add_page(PAGES[name])

    def _view_builders(self) -> list[Callable[[], None]]:
        session, bridge, config = self._session, self.bridge, self._config
        if session is None:   # watch-only wallet: its account and balances only
            return []

        def add(name: str, make: Callable[[], QWidget]) -> Callable[[], None]:
            def build() -> None:
                view = make()
                setattr(self, name, view)
                self._add_page(name, view)
                if name == "book":
                    rail = view.entry.rail   # the one place that reads the rail balance
                    self.header.set_pkr_source(lambda: rail.balance_paisa)
                    bridge.tradeEvent.connect(lambda _e: rail.on_refresh() if rail.has_account() else None)
            return build
        return [add("book", lambda: BookView(bridge, session)),
                add("orders", lambda: OrdersView(bridge, session)),
                add("queue", lambda: QueueView(bridge, session)),
                add("deals", lambda: DealsView(bridge, session)),
                add("proofs", lambda: ProofJobsView(bridge, session)),
                add("activity", lambda: ActivityView(bridge, session)),
                add("settings", lambda: SettingsView(bridge, session, config))]

    async def build_views(self) -> None:
        """The trading views of a `deferred` window, one per turn of the event loop."""
        for build in self._view_builders():
            build()
            await asyncio.sleep(0)

    # ------------------------------------------------------------------ navigation
    def _show_page(self, name: str) -> None:
        view = self._views.get(name)
        if view is not None:
            self.pages.setCurrentWidget(view)

    def current_page(self) -> str | None:
        return self.nav.current_page()

    def show_page(self, name: str) -> bool:
        return self.nav.select_page(name)

    def show_section(self, index: int) -> bool:
        """Ctrl+1..5: the section's first page."""
        return self.nav.select_section(index)

    def show_tab(self, title: str) -> bool:
        """Show a page by its old tab title, its page title or its section name."""
        wanted = title.strip().lower()
        name = OLD_TAB_TITLES.get(wanted) or next(
            (p.key for p in PAGES.values() if p.title.lower() == wanted and p.key in self._views), None)
        if name is not None:
            return self.show_page(name)
        for i, section in enumerate(self.nav.sections()):
            if section.lower() == wanted:
                return self.show_section(i)
        return False

    # ------------------------------------------------------------------ header
    def set_notification_widget(self, widget: QWidget) -> None:
        """The notification bell's place: the right end of the header."""
        self.header.set_notification_widget(widget)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.header.stop_mxe()
        self.closed.emit()
        super().closeEvent(event)

"""The order book tab: asks over bids per price level, a depth chart, and the order entry.

Why per price level: a trader decides on price and available size, not on individual order
ids (those are in "My orders"). The view is fed by `CoreBridge.bookUpdated`, which the market
service emits on every accountSubscribe notification, so the book changes live - including
orders other wallets place.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from protocol.units import format_pkr
from wallet.core.market_client import BookSnapshot
from wallet.core.market_service import BookUpdated

from .bridge import CoreBridge
from .depth_chart import DepthChart
from .order_entry import OrderEntry
from .session import GuiSession
from .levels_model import LevelsTable

HEADERS = ["Price (PKR/USDC)", "Size (USDC)", "Total (USDC)", "Value (PKR)"]


class BookView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.book = BookSnapshot([], [])
        self.asks_table = LevelsTable(HEADERS)   # a model: deep books stay cheap (levels_model.py)
        self.bids_table = LevelsTable(HEADERS)
        self.spread_label = QLabel("-")
        self.spread_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chart = DepthChart()
        self.entry = OrderEntry(bridge, session)

        book_box = QGroupBox("USDC / PKR order book")
        col = QVBoxLayout(book_box)
        col.addWidget(QLabel("Asks (sellers of USDC)"))
        col.addWidget(self.asks_table, 1)
        col.addWidget(self.spread_label)
        col.addWidget(QLabel("Bids (buyers of USDC)"))
        col.addWidget(self.bids_table, 1)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.chart)
        right.addWidget(self.entry)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        layout = QHBoxLayout(self)
        layout.addWidget(book_box, 1)
        layout.addWidget(right, 1)
        bridge.bookUpdated.connect(self.on_book)
        # words, not an empty book: a cluster that stops answering is named above the bids
        self.book_seen = False
        bridge.connectionChanged.connect(self.on_connection)

    def on_connection(self, connected: bool, detail: str) -> None:
        if connected:
            return   # the next snapshot (on_book) rewrites the line
        self.spread_label.setText(f"Last known book. {detail[:1].upper()}{detail[1:]}" if self.book_seen
                                  else f"No order book yet: {detail}")

    def on_book(self, event: BookUpdated) -> None:
        self.book_seen = True
        self.book = event.book
        bids, asks = self.book.depth("Bid"), self.book.depth("Ask")
        # asks shown highest first so the best ask sits just above the spread line
        self.asks_table.levels.set_levels(asks, reverse=True)
        self.bids_table.levels.set_levels(bids)
        if bids and asks:
            self.spread_label.setText(f"spread {format_pkr(asks[0][0] - bids[0][0])} PKR "
                                      f"(best bid {format_pkr(bids[0][0])}, best ask {format_pkr(asks[0][0])})")
        else:
            self.spread_label.setText(f"{len(self.book.asks)} ask(s), {len(self.book.bids)} bid(s)")
        self.chart.set_depth(bids, asks)
        self.entry.set_best_prices(bids[0][0] if bids else None, asks[0][0] if asks else None)

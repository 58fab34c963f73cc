"""The order book's price levels as a Qt model: a 10,000-order book without freezing the window.

Why a model and not a QTableWidget: a table widget holds one item object per cell, so showing a
deep book meant creating and updating tens of thousands of items on the GUI thread at every
book notification (hundreds of milliseconds per update with 10,000 levels). The model keeps the
levels as plain tuples with their running totals and formats a cell only when the view paints
it (the visible rows); a new snapshot is one reset. `LevelsTable` keeps the small read API the
rest of the code and the tests use on tables (`rowCount()`, `item(r, c).text()`, row keys).
"""
from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from protocol.units import fiat_due, format_pkr, format_usdc

RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
AnyIndex = QModelIndex | QPersistentModelIndex


class LevelsModel(QAbstractTableModel):
    """Rows of (price, size, running total from the best price), in display order."""

    def __init__(self, headers: Sequence[str], parent: Any = None):
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[tuple[int, int, int]] = []

    def set_levels(self, levels: list[tuple[int, int]], *, reverse: bool = False) -> None:
        """`levels` best first; `reverse` shows them worst first (asks above the spread)."""
        rows, total = [], 0
        for price, qty in levels:
            total += qty
            rows.append((price, qty, total))
        if reverse:
            rows.reverse()
        if rows == self.rows:
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def text(self, row: int, column: int) -> str:
        price, qty, total = self.rows[row]
        if column == 0:
            return format_pkr(price)
        if column == 1:
            return format_usdc(qty)
        if column == 2:
            return format_usdc(total)
        return format_pkr(fiat_due(qty, price))

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT_ALIGNED
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


class _Cell:
    """What `QTableWidget.item(r, c)` gave callers: the cell's text."""

    def __init__(self, text: str):
        self._text = text

    def text(self) -> str:
        return self._text


class LevelsTable(QTableView):
    def __init__(self, headers: Sequence[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.levels = LevelsModel(headers, self)
        self.setModel(self.levels)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        # fixed row height and stretched columns: nothing is measured over all rows
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

    def rowCount(self) -> int:  # noqa: N802 (the table-widget API)
        return self.levels.rowCount()

    def columnCount(self) -> int:  # noqa: N802
        return self.levels.columnCount()

    def item(self, row: int, column: int) -> _Cell | None:
        if not (0 <= row < self.levels.rowCount() and 0 <= column < self.levels.columnCount()):
            return None
        return _Cell(self.levels.text(row, column))

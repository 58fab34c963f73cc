"""Read-only tables the views fill from core snapshots, and the inline message label of a form.

Why a helper: every view shows rows of plain values that are replaced wholesale when a new
snapshot arrives; filling a QTableWidget the same way everywhere keeps the selection (by a key
stored in the first column) so a live update never throws the user's selection away.
"""
from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QWidget

KEY_ROLE = Qt.ItemDataRole.UserRole
# Set as item data, not with QTableWidgetItem.setTextAlignment: on PySide6 6.11.3 that call
# keeps a reference to None for every new item (tests/gui/qt_refcount_probe.py), and the
# queue and book tables are refilled on every update.
RIGHT_ALIGNED = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


def make_table(headers: Sequence[str], parent: QWidget | None = None, *, stretch: int | None = None) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[Any]], keys: Sequence[Any] | None = None,
               *, align_right: Sequence[int] = ()) -> None:
    """Replace the rows; `keys[i]` is stored on row i and the selected key is kept. Keys are
    kept on the Python side (order ids are u128, wider than a QVariant integer)."""
    selected = selected_key(table)
    table.row_keys = {str(k): k for k in keys} if keys is not None else {}  # type: ignore[attr-defined]
    table.setRowCount(len(rows))
    reselect = -1
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            text = "" if value is None else str(value)
            item = table.item(r, c)
            if item is None:
                # new cells only: replacing an item of a selected row keeps a reference to
                # None on PySide6 6.11.3 (and the queue refreshes every few seconds with a
                # row selected), so existing cells are updated in place instead
                item = QTableWidgetItem(text)
                if c in align_right:
                    item.setData(Qt.ItemDataRole.TextAlignmentRole, RIGHT_ALIGNED)
                table.setItem(r, c, item)
            else:
                if item.text() != text:
                    item.setText(text)
                aligned = item.data(Qt.ItemDataRole.TextAlignmentRole) == RIGHT_ALIGNED
                if (c in align_right) != aligned:
                    item.setData(Qt.ItemDataRole.TextAlignmentRole, RIGHT_ALIGNED if c in align_right else None)
            if c == 0 and keys is not None:
                item.setData(KEY_ROLE, str(keys[r]))
        if keys is not None and selected is not None and keys[r] == selected:
            reselect = r
    if reselect >= 0:
        table.selectRow(reselect)
    elif selected is not None:
        table.clearSelection()


def selected_key(table: QTableWidget) -> Any:
    rows = table.selectionModel().selectedRows() if table.selectionModel() else []
    if not rows:
        return None
    return row_key(table, rows[0].row())


def row_key(table: QTableWidget, row: int) -> Any:
    item = table.item(row, 0)
    return None if item is None else getattr(table, "row_keys", {}).get(item.data(KEY_ROLE))


def select_key(table: QTableWidget, key: Any) -> bool:
    for r in range(table.rowCount()):
        if key is not None and row_key(table, r) == key:
            table.selectRow(r)
            return True
    return False


class MessageLabel(QLabel):
    """A form's one-line outcome: red for a refusal, plain for progress and success."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def error(self, text: str) -> None:
        self.setStyleSheet("color: #b00020;")
        self.setText(text)

    def info(self, text: str) -> None:
        self.setStyleSheet("")
        self.setText(text)

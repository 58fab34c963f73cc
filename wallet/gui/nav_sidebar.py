"""The left navigation: sections grouped by what a user does, each with its pages.

Why a tree and not tabs: eight tabs of equal weight said nothing about which comes first; the
sections (Trade, Settle, Private deals, Activity, Settings) follow a trade's course, and their
pages sit under them. A section selects its first page. The list takes keyboard focus (Tab),
moves with the arrow keys, and Ctrl+1..5 jump to a section from anywhere in the window.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

KEY_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Page:
    key: str      # the MainWindow attribute of the view ("book", "queue", ...)
    title: str    # shown in the navigation
    section: str  # the section it belongs to


class NavSidebar(QTreeWidget):
    pageSelected = Signal(str)   # the page key

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("navSidebar")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(14)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Navigation")
        self.setAccessibleDescription("Sections of the wallet; arrow keys move, Ctrl+1 to Ctrl+5 jump to a section")
        self.setFixedWidth(190)
        self._sections: dict[str, QTreeWidgetItem] = {}
        self._pages: dict[str, QTreeWidgetItem] = {}
        self.currentItemChanged.connect(self._on_current)

    # ------------------------------------------------------------------ building
    def add_section(self, title: str) -> None:
        if title in self._sections:
            return
        item = QTreeWidgetItem([title])
        item.setData(0, KEY_ROLE, None)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        self.addTopLevelItem(item)
        item.setExpanded(True)
        self._sections[title] = item

    def add_page(self, page: Page) -> None:
        self.add_section(page.section)
        parent = self._sections[page.section]
        item = QTreeWidgetItem([page.title])
        item.setData(0, KEY_ROLE, page.key)
        item.setToolTip(0, f"{page.section}: {page.title}")
        parent.addChild(item)
        parent.setExpanded(True)
        self._pages[page.key] = item

    # ------------------------------------------------------------------ reading + moving
    def sections(self) -> list[str]:
        return list(self._sections)

    def page_keys(self, section: str | None = None) -> list[str]:
        items = self._pages.items()
        if section is None:
            return [k for k, _ in items]
        parent = self._sections.get(section)
        return [k for k, it in items if it.parent() is parent]

    def current_page(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(0, KEY_ROLE)

    def select_page(self, key: str) -> bool:
        item = self._pages.get(key)
        if item is None:
            return False
        self.setCurrentItem(item)
        return True

    def select_section(self, index: int) -> bool:
        """Ctrl+N: the N-th section's first page (0-based index)."""
        titles = self.sections()
        if not 0 <= index < len(titles):
            return False
        pages = self.page_keys(titles[index])
        return bool(pages) and self.select_page(pages[0])

    def _on_current(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is None:
            return
        key = current.data(0, KEY_ROLE)
        if key is None:   # a section heading: go to its first page
            if current.childCount():
                self.setCurrentItem(current.child(0))
            return
        self.pageSelected.emit(key)

"""The window's Help menu: Open log, Keyboard shortcuts, About ANOMI.

Why: every unexpected failure is written to the rotating log in the data directory
(wallet/core/logs.py) and the user is told "Details are in Help > Open log" (unexpected.py), so
the log must be one click away. Opening it uses the desktop's own viewer; where none exists
(a bare server, a container, an offscreen session) a dialog shows the file's path and its last
lines instead, so the answer to "what went wrong" never depends on the desktop.
"""
from __future__ import annotations

import asyncio
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

import qasync
from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import QObject, Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QMainWindow, QMenu, QMessageBox,
                               QPlainTextEdit, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from wallet.core.logs import log_path

TAIL_LINES = 60
TAIL_BYTES = 64 * 1024

# keys every window and dialog has from Qt itself (not registered as QActions)
STANDARD_KEYS = (
    ("Tab / Shift+Tab", "Move to the next / previous field or button"),
    ("Space / Enter", "Press the focused button"),
    ("Up / Down", "Move through a table or list"),
    ("Ctrl+C", "Copy the selected text or table cells"),
    ("Esc", "Close a dialog without acting"),
)

Opener = Callable[[QUrl], bool]


def read_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of a (possibly large) log file, reading at most TAIL_BYTES."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - TAIL_BYTES))
        text = f.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def app_versions() -> dict[str, str]:
    try:
        anomi = metadata.version("anomi")
    except metadata.PackageNotFoundError:
        anomi = "development checkout"
    return {"ANOMI": anomi, "Python": platform.python_version(), "Qt": qVersion(),
            "PySide6": PYSIDE_VERSION, "System": f"{platform.system()} {platform.release()}"}


@dataclass(frozen=True)
class Shortcut:
    keys: str
    does: str


def window_shortcuts(window: QWidget) -> list[Shortcut]:
    """The shortcuts registered on the window right now (menus, views' actions, QShortcuts),
    then Qt's standard keys: the dialog lists what really works, not a hand-kept list."""
    found: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for seq in action.shortcuts():
            keys = seq.toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                found.setdefault(keys, action.text().replace("&", "").rstrip("."))
    for shortcut in window.findChildren(QShortcut):
        keys = shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            found.setdefault(keys, shortcut.whatsThis() or shortcut.objectName() or "(view shortcut)")
    rows = [Shortcut(k, v) for k, v in sorted(found.items())]
    return rows + [Shortcut(k, v) for k, v in STANDARD_KEYS]


class LogDialog(QDialog):
    """Where no program opens the log: its path (selectable) and its last lines."""

    def __init__(self, path: Path, tail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ANOMI log")
        self.resize(820, 480)
        layout = QVBoxLayout(self)
        self.path_label = QLabel(f"No program is set up to open it here. The log file is:\n{path}")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setAccessibleName("Log file path")
        layout.addWidget(self.path_label)
        self.tail = QPlainTextEdit(tail or "(the log is empty)")
        self.tail.setReadOnly(True)
        self.tail.setAccessibleName(f"Last {TAIL_LINES} lines of the log")
        layout.addWidget(self.tail, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(520, 360)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.setAccessibleName("Keyboard shortcuts")
        for i, row in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(row.keys))
            self.table.setItem(i, 1, QTableWidgetItem(row.does))
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class HelpMenu(QObject):
    """The menu and its actions; `opener` is how a file URL is opened (the desktop's default)."""

    def __init__(self, window: QMainWindow, data_dir: Path, opener: Opener | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.log_file = log_path(data_dir)
        self.opener: Opener = opener or QDesktopServices.openUrl
        self.dialog: QDialog | None = None   # the last dialog shown (kept alive while open)
        self.menu: QMenu = window.menuBar().addMenu("&Help")
        self.open_log_action = self.menu.addAction("Open &log")
        self.open_log_action.setToolTip("Open the wallet's log file (every error is written there)")
        self.open_log_action.triggered.connect(self.on_open_log)
        self.shortcuts_action = self.menu.addAction("&Keyboard shortcuts")
        self.shortcuts_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.menu.addSeparator()
        self.about_action = self.menu.addAction("&About ANOMI")
        self.about_action.triggered.connect(self.show_about)

    @qasync.asyncSlot()
    async def on_open_log(self) -> None:
        await self.open_log()

    async def open_log(self) -> bool:
        """Open the log in the desktop's viewer; True if it did, else the fallback dialog."""
        exists = await asyncio.to_thread(self.log_file.is_file)
        if exists and self.opener(QUrl.fromLocalFile(str(self.log_file))):
            return True
        try:
            tail = await asyncio.to_thread(read_tail, self.log_file) if exists else ""
        except OSError as exc:
            tail = f"(cannot read it: {exc.strerror or exc})"
        if not exists:
            tail = "(nothing has been logged yet)"
        self.dialog = LogDialog(self.log_file, tail, self.window)
        self.dialog.open()
        return False

    def show_shortcuts(self) -> None:
        self.dialog = ShortcutsDialog(window_shortcuts(self.window), self.window)
        self.dialog.open()

    def about_text(self) -> str:
        versions = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in app_versions().items())
        return ("<p><b>ANOMI</b>: a desktop wallet for peer-to-peer USDC/PKR trades settled by "
                "zero-knowledge proofs, and private OTC deals computed under encryption.</p>"
                f"<table>{versions}</table><p>Log file: {self.log_file}</p>")

    def show_about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About ANOMI", self.about_text(),
                          QMessageBox.StandardButton.Close, self.window)
        self.dialog = box
        box.open()


def install_help_menu(window: QMainWindow, data_dir: Path, *, opener: Opener | None = None) -> HelpMenu:
    """Add the Help menu to `window` (its menu bar); `data_dir` holds logs/anomi.log."""
    return HelpMenu(window, Path(data_dir), opener)


__all__ = ["HelpMenu", "install_help_menu", "read_tail", "window_shortcuts", "app_versions"]

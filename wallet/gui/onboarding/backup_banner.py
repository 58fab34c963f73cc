"""The "backup not confirmed" reminder at the top of the main window, until the word check is passed.

How it is wired (without touching main_window.py's layout): `install_backup_banner(window,
keystore)` adds a fixed, non-movable tool bar holding the banner at the top of any QMainWindow
and returns the banner; app.WalletController calls it once. The tool bar is hidden whenever the
wallet's backup is confirmed (`refresh()`), so a confirmed wallet shows nothing.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QPushButton, QToolBar, QWidget

from wallet.core.keystore import Keystore

from .phrase_dialog import PhraseDialog

TEXT = ("<b>Your recovery phrase is not backed up.</b> Until you write it down and pass the word check, "
        "ANOMI will not escrow funds (asks and bids are refused).")


class BackupBanner(QFrame):
    def __init__(self, keystore: Keystore, parent: QWidget | None = None):
        super().__init__(parent)
        self.keystore = keystore
        self.setObjectName("backupBanner")
        self.setAccessibleName("Backup reminder")
        self.setStyleSheet("#backupBanner { background: #fff3cd; color: #5c4400; border: 1px solid #e0b84c; }"
                           "#backupBanner QLabel { color: #5c4400; }")
        self.label = QLabel(TEXT)
        self.label.setWordWrap(True)
        self.button = QPushButton("Back up now")
        self.button.setAccessibleName("Back up the recovery phrase now")
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.dialog: PhraseDialog | None = None
        self.button.clicked.connect(self.open_backup)
        self.holder: QToolBar | None = None

    @property
    def pending(self) -> bool:
        return not self.keystore.backup_confirmed

    def refresh(self) -> None:
        shown = self.pending
        (self.holder or self).setVisible(shown)

    def open_backup(self) -> None:
        self.dialog = PhraseDialog(self.keystore, check=True, parent=self.window())
        self.dialog.finished.connect(lambda _r: self.refresh())
        self.dialog.open()


def install_backup_banner(window: QMainWindow, keystore: Keystore) -> BackupBanner:
    """Put the reminder above the window's content (hidden when there is nothing to back up)."""
    bar = QToolBar("Backup reminder", window)
    bar.setObjectName("backupReminderBar")
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.toggleViewAction().setVisible(False)   # not in the tool-bar context menu: it cannot be hidden
    banner = BackupBanner(keystore, bar)
    bar.addWidget(banner)
    window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)   # a row of its own, under any header tool bar
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    banner.holder = bar
    banner.refresh()
    return banner


def refresh_banners(widget: QWidget) -> None:
    """After a check passed somewhere (Settings), every reminder in that window updates."""
    for banner in widget.window().findChildren(BackupBanner):
        banner.refresh()

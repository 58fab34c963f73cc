"""The notification bell for the window's header: an unread count and the list behind it.

Why a bell and a tray: a trade moves while the user looks elsewhere (the buyer pays, a deadline
nears, a deal settles). The core's Notifier (wallet/core/notifications.py) decides what deserves
a word and records it once per (account, kind, subject, milestone) in the data directory; the
bridge re-emits each new one as `notified`. The bell counts the unread ones of the selected
account and lists the recent ones (the list and the read flags come back after a restart); where
the desktop has a system tray, the same notification also pops up there (notification_tray.py),
and where it has none the bell is the fallback.

Use (the shell's header): ``NotificationBell(bridge, session)``; it needs nothing else. The store
is read and written on a worker thread (the Notifier's methods), never on the GUI thread.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QToolButton, QVBoxLayout, QWidget)

from wallet.core.notifications import Notification

from .bridge import CoreBridge
from .notification_tray import NotificationTray
from .session import GuiSession, action_slot

# a word, not the bell emoji: a desktop without a colour-emoji font draws that as an empty box
BELL = "Alerts"


class NotificationBell(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession | None, parent: QWidget | None = None, *,
                 tray: bool = True):
        """`tray`: also pop notifications up in the system tray when the desktop has one."""
        super().__init__(parent)
        self.session = session
        self.notes: list[Notification] = []     # the selected account's, newest first
        self.unread = 0
        self.tray = NotificationTray.create(self) if tray else None
        self.button = QToolButton()
        self.button.setObjectName("notificationBell")
        self.button.setAutoRaise(True)
        self.button.clicked.connect(self.toggle_list)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)

        self.panel = QFrame(self, Qt.WindowType.Popup)
        self.panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.list = QListWidget()
        self.list.setAccessibleName("notifications")
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.empty = QLabel("No notifications yet")
        self.read_button = QPushButton("Mark all read")
        self.read_button.clicked.connect(self.mark_read)
        box = QVBoxLayout(self.panel)
        box.addWidget(self.empty)
        box.addWidget(self.list)
        box.addWidget(self.read_button)
        self.panel.resize(380, 320)

        bridge.notified.connect(self.on_notified)
        bridge.tradingAccountChanged.connect(lambda _e: self.reload())
        self._render()
        if session is not None:
            QTimer.singleShot(0, self.reload)   # the stored list, once the event loop runs

    # ------------------------------------------------------------------ state
    def _owner(self) -> str | None:
        return None if self.session is None else self.session.owner

    def _render(self) -> None:
        self.button.setText(f"{BELL} ({self.unread})" if self.unread else BELL)
        self.button.setToolTip(f"{self.unread} unread notification(s)" if self.unread else "Notifications")
        self.button.setAccessibleName(f"Notifications, {self.unread} unread")
        self.list.clear()
        for n in self.notes:
            item = QListWidgetItem(f"{n.title}\n{n.body}")
            font = item.font()
            font.setBold(not n.read)
            item.setFont(font)
            self.list.addItem(item)
        self.empty.setVisible(not self.notes)
        self.read_button.setEnabled(self.unread > 0)

    def titles(self) -> list[str]:
        return [n.title for n in self.notes]

    def on_notified(self, n: Notification) -> None:
        if n.account != self._owner():
            return
        self.notes.insert(0, n)
        self.unread += 1
        self._render()
        if self.tray is not None:
            self.tray.show(n)

    @action_slot()
    async def reload(self) -> None:
        """The selected account's recent notifications and unread count, from the store."""
        notifier = None if self.session is None else self.session.notifier
        if notifier is None:
            return
        self.notes = await notifier.recent()
        self.unread = await notifier.unread()
        self._render()

    # ------------------------------------------------------------------ the list
    def toggle_list(self) -> None:
        if self.panel.isVisible():
            self.panel.hide()
            return
        self.panel.move(self.mapToGlobal(self.rect().bottomLeft()))
        self.panel.show()

    @action_slot()
    async def mark_read(self) -> None:
        notifier = None if self.session is None else self.session.notifier
        if notifier is not None:
            await notifier.mark_read()
        self.notes = [Notification(n.account, n.kind, n.subject, n.milestone, n.title, n.body, n.at, True)
                      for n in self.notes]
        self.unread = 0
        self._render()

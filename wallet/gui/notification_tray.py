"""System-tray pop-ups for notifications, where the desktop has a tray.

Why optional: a tray needs a running StatusNotifier/XEmbed host (most desktops; not a bare X
server, not Qt's offscreen platform). `create()` returns None where
`QSystemTrayIcon.isSystemTrayAvailable()` is False, and the bell (notification_bell.py) is then
the only place notifications appear: the fallback the issue asks for.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from wallet.core.notifications import Notification

ICON = Path(__file__).resolve().parents[2] / "resources" / "icons" / "anomi.svg"
SHOW_MS = 8000


def _icon() -> QIcon:
    icon = QIcon(str(ICON)) if ICON.exists() else QIcon()
    if icon.isNull():
        pixmap = QPixmap(32, 32)
        pixmap.fill(QColor("#1565c0"))
        icon = QIcon(pixmap)
    return icon


class NotificationTray:
    def __init__(self, parent: QWidget):
        self.icon = QSystemTrayIcon(_icon(), parent)
        self.icon.setToolTip("ANOMI wallet")
        self.icon.show()
        self.shown: list[Notification] = []

    @classmethod
    def create(cls, parent: QWidget) -> "NotificationTray | None":
        return cls(parent) if QSystemTrayIcon.isSystemTrayAvailable() else None

    def show(self, n: Notification) -> None:
        self.shown.append(n)
        self.icon.showMessage(n.title, n.body, QSystemTrayIcon.MessageIcon.Information, SHOW_MS)

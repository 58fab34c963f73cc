"""The one place where core events become Qt signals.

Why a bridge: the core publishes plain Python events on its EventBus and knows nothing of Qt;
widgets want signals they can connect to slots. The bridge subscribes once and re-emits, so
views never touch the bus and the core never touches Qt. Because qasync runs the asyncio loop
on the GUI thread, these emissions are already on the right thread.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal

from wallet.core.events import BalanceChanged, ConnectionChanged, EventBus, SlotChanged


class CoreBridge(QObject):
    slotChanged = Signal(int)
    balanceChanged = Signal(object)       # BalanceChanged
    connectionChanged = Signal(bool, str)
    statusMessage = Signal(str)           # free text for the status bar

    def __init__(self, bus: EventBus, parent: QObject | None = None):
        super().__init__(parent)
        self.bus = bus
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe(SlotChanged, lambda e: self.slotChanged.emit(e.slot)),
            bus.subscribe(BalanceChanged, self.balanceChanged.emit),
            bus.subscribe(ConnectionChanged, lambda e: self.connectionChanged.emit(e.connected, e.detail)),
        ]

    def detach(self) -> None:
        for off in self._unsubscribe:
            off()
        self._unsubscribe = []

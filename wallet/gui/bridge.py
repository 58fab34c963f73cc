"""The one place where core events become Qt signals.

Why a bridge: the core publishes plain Python events on its EventBus and knows nothing of Qt;
widgets want signals they can connect to slots. The bridge subscribes once and re-emits, so
views never touch the bus and the core never touches Qt. Because qasync runs the asyncio loop
on the GUI thread, these emissions are already on the right thread.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal

from wallet.core.deal_service import DealResultStored
from wallet.core.events import BalanceChanged, ConnectionChanged, EventBus, SlotChanged
from wallet.core.market_service import BookUpdated, MyOrdersUpdated, QueueUpdated
from wallet.core.notifications import Notified
from wallet.core.proof_jobs import ProofFinished, ProofProgress, ProofQueued
from wallet.core.trade_events import TRADE_EVENTS, TradingAccountChanged
from wallet.core.tx import TxConfirmed, TxFailed, TxSubmitted


class CoreBridge(QObject):
    slotChanged = Signal(int)
    balanceChanged = Signal(object)       # BalanceChanged
    connectionChanged = Signal(bool, str)
    statusMessage = Signal(str)           # free text for the status bar
    bookUpdated = Signal(object)          # BookUpdated
    myOrdersUpdated = Signal(object)      # MyOrdersUpdated
    queueUpdated = Signal(object)         # QueueUpdated
    proofQueued = Signal(object)          # ProofQueued
    proofProgress = Signal(object)        # ProofProgress
    proofFinished = Signal(object)        # ProofFinished
    txSubmitted = Signal(object)          # TxSubmitted
    txConfirmed = Signal(object)          # TxConfirmed
    txFailed = Signal(object)             # TxFailed
    dealResultStored = Signal(object)     # DealResultStored
    tradeEvent = Signal(object)           # OrderPlaced, OrderCancelled, PaymentSent, ... (trade_events)
    tradingAccountChanged = Signal(object)  # TradingAccountChanged (the account picked on Balances)
    notified = Signal(object)             # Notification (notifications.Notified: new, recorded once)

    def __init__(self, bus: EventBus, parent: QObject | None = None):
        super().__init__(parent)
        self.bus = bus
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe(SlotChanged, lambda e: self.slotChanged.emit(e.slot)),
            bus.subscribe(BalanceChanged, self.balanceChanged.emit),
            bus.subscribe(ConnectionChanged, lambda e: self.connectionChanged.emit(e.connected, e.detail)),
        ]
        for event_type, signal in ((BookUpdated, self.bookUpdated), (MyOrdersUpdated, self.myOrdersUpdated),
                                   (QueueUpdated, self.queueUpdated), (ProofQueued, self.proofQueued),
                                   (ProofProgress, self.proofProgress), (ProofFinished, self.proofFinished),
                                   (TxSubmitted, self.txSubmitted), (TxConfirmed, self.txConfirmed),
                                   (TxFailed, self.txFailed), (DealResultStored, self.dealResultStored),
                                   (TradingAccountChanged, self.tradingAccountChanged)):
            self._unsubscribe.append(bus.subscribe(event_type, signal.emit))
        self._unsubscribe.append(bus.subscribe(Notified, lambda e: self.notified.emit(e.notification)))
        for event_type in TRADE_EVENTS:
            self._unsubscribe.append(bus.subscribe(event_type, self.tradeEvent.emit))

    def detach(self) -> None:
        for off in self._unsubscribe:
            off()
        self._unsubscribe = []

"""My resting orders, live, with cancel (an ask's unfilled escrow returns to the wallet).

Why only resting orders here: matched orders are no longer in the book; they live in the
settlement queue and have their own tab with the settlement actions.
"""
from __future__ import annotations

import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from protocol.units import format_pkr, format_usdc
from wallet.core.market_client import BookOrder
from wallet.core.market_service import MyOrdersUpdated
from wallet.core.references import order_ref

from .bridge import CoreBridge
from .confirm import CANCELLED, Confirmation
from .session import USER_ERRORS, GuiSession, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, selected_key

HEADERS = ["Order id", "Side", "Price (PKR/USDC)", "Open (USDC)", "Original (USDC)", "Placed (UTC)"]


class OrdersView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.orders: dict[int, BookOrder] = {}
        self.table = make_table(HEADERS)
        self.cancel_button = QPushButton("Cancel selected order")
        self.cancel_button.setEnabled(False)
        self.message = MessageLabel()
        row = QHBoxLayout()
        self.owner_label = QLabel(f"Resting orders of {session.owner}")
        row.addWidget(self.owner_label, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.cancel_button.clicked.connect(self.on_cancel)
        bridge.myOrdersUpdated.connect(self.on_orders)
        bridge.tradingAccountChanged.connect(lambda e: self.owner_label.setText(
            f"Resting orders of {e.address}" + ("" if e.can_sign else " (watch-only: view only)")))

    def on_orders(self, event: MyOrdersUpdated) -> None:
        if event.owner != self.session.owner:
            return  # published for the account selected before
        self.orders = {o.order_id: o for o in event.orders}
        rows = [[order_ref(o.order_id), o.side, format_pkr(o.price), format_usdc(o.quantity),
                 format_usdc(o.original), time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(o.placed_at))]
                for o in event.orders]
        fill_table(self.table, rows, [o.order_id for o in event.orders], align_right=(2, 3, 4))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.cancel_button.setEnabled(selected_key(self.table) in self.orders)

    @action_slot()
    async def on_cancel(self) -> None:
        order_id = selected_key(self.table)
        if order_id not in self.orders:
            self.message.error("select one of your resting orders first")
            return
        o = self.orders[order_id]
        side = o.side.lower()
        back = (f" The unfilled {format_usdc(o.quantity)} USDC escrow returns to you." if o.side == "Ask" else "")
        if not await self.session.confirm(self, Confirmation(
                f"Cancel {side}", f"Cancel {side} {order_ref(order_id)}",
                f"Cancel your {side} {order_ref(order_id)} for {format_usdc(o.quantity)} USDC at "
                f"{format_pkr(o.price)} PKR per USDC.{back}",
                "It leaves the book; placing it again puts it behind the orders at its price.")):
            self.message.info(CANCELLED)
            return
        self.cancel_button.setEnabled(False)
        try:
            out = await self.session.ctx.cancel(order_id)
        except USER_ERRORS as exc:
            self.message.error(f"not cancelled: {exc}")
            self._update_buttons()
            return
        what = f"cancelled {out['side'].lower()} {order_ref(order_id)}"
        if out["side"] == "Ask":
            what += f"; {format_usdc(out['unfilled'])} USDC escrow returned"
        self.message.info(what)
        self.bridge.statusMessage.emit(what)

"""Private OTC deals (seed 003): create, list, offer, crank, close, and my decrypted results.

Why "decrypted results" are separate from the deal's status: amounts and prices are encrypted
for the MXE; the chain shows only statuses. Each figure meant for this wallet (a deal's
confirmation and settlement, an offer's fill and refund) is sealed to one of its x25519
identities and opened by DealService when the MXE's callback arrives; the view shows what the
wallet has opened (kept in its encrypted notes) and refreshes on DealResultStored. Every action
waits for an MXE round trip, so its button stays disabled until the callback is in.
"""
from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QSpinBox, QVBoxLayout, QWidget)
from solders.pubkey import Pubkey

from wallet.core.amounts import AmountError, parse_whole_number
from wallet.core.otc_client import format_price, parse_price

from .bridge import CoreBridge
from .confirm import CANCELLED, Confirmation
from .session import USER_ERRORS, GuiSession, InputError, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, select_key, selected_key


def parse_units(text: str, field: str) -> int:
    try:
        return parse_whole_number(text, what=field, minimum=1)
    except AmountError as exc:
        raise InputError(f"{exc}: enter a whole number of base units (a positive u64)") from None


def result_lines(mine: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for key, note in mine.items():
        head = f"{note.get('role', 'result')} {key[:10]}…"
        if note.get("price"):
            head += f": {note.get('amount')} at {format_price(int(note['price']))}"
        lines.append(head)
        settled = note.get("settled")
        if settled:
            lines.append("    settled: " + ", ".join(f"{k} {v}" for k, v in settled.items()))
    return lines or ["No results sealed to this wallet for this deal yet."]


class DealsView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.rows: dict[str, dict[str, Any]] = {}
        self.amount_edit, self.price_edit = QLineEdit(), QLineEdit()
        self.amount_edit.setPlaceholderText("base units, e.g. 1000")
        self.price_edit.setPlaceholderText("minimum price, e.g. 1.5")
        self.expires_spin = QSpinBox()
        self.expires_spin.setRange(60, 30 * 24 * 3600)
        self.expires_spin.setValue(3600)
        self.expires_spin.setSuffix(" s")
        self.partial_box = QCheckBox("allow a partial fill at expiry")
        self.create_button = QPushButton("Create deal")
        self.table = make_table(["Deal", "Status", "Me", "Offers", "Expires (UTC)"])
        self.refresh_button = QPushButton("Refresh")
        self.deal_label = QLabel("Select a deal")
        self.offers_table = make_table(["#", "Offer", "Status", "Mine"])
        self.results = QPlainTextEdit()
        self.results.setReadOnly(True)
        self.offer_amount, self.offer_price = QLineEdit(), QLineEdit()
        self.offer_amount.setPlaceholderText("base units")
        self.offer_price.setPlaceholderText("price, e.g. 1.6")
        self.offer_button = QPushButton("Submit offer")
        self.crank_button = QPushButton("Crank (settle + my offers)")
        self.close_button = QPushButton("Close my accounts")
        self.message = MessageLabel()

        create = QGroupBox("New private deal (amount and price encrypted for the MXE)")
        cf = QFormLayout(create)
        cf.addRow("Amount", self.amount_edit)
        cf.addRow("Price", self.price_edit)
        cf.addRow("Expires in", self.expires_spin)
        cf.addRow("", self.partial_box)
        cf.addRow("", self.create_button)
        listing = QVBoxLayout()
        head = QHBoxLayout()
        head.addWidget(QLabel("Deals on the cluster"), 1)
        head.addWidget(self.refresh_button)
        listing.addLayout(head)
        listing.addWidget(self.table, 1)
        selected = QGroupBox("Selected deal")
        sl = QVBoxLayout(selected)
        sl.addWidget(self.deal_label)
        sl.addWidget(self.offers_table, 1)
        sl.addWidget(QLabel("My decrypted results"))
        sl.addWidget(self.results, 1)
        offer_row = QHBoxLayout()
        for w in (self.offer_amount, self.offer_price, self.offer_button):
            offer_row.addWidget(w)
        sl.addLayout(offer_row)
        act_row = QHBoxLayout()
        act_row.addWidget(self.crank_button)
        act_row.addWidget(self.close_button)
        sl.addLayout(act_row)
        left = QVBoxLayout()
        left.addWidget(create)
        left.addLayout(listing, 1)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addWidget(selected, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.message)

        self.create_button.clicked.connect(self.on_create)
        self.refresh_button.clicked.connect(self.on_refresh)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.offer_button.clicked.connect(self.on_offer)
        self.crank_button.clicked.connect(self.on_crank)
        self.close_button.clicked.connect(self.on_close)
        bridge.dealResultStored.connect(lambda _e: self.on_select())
        bridge.tradingAccountChanged.connect(lambda _e: self.on_refresh())   # "Me" follows the account
        self._set_deal_buttons(False)

    def selected_deal(self) -> str | None:
        return selected_key(self.table)

    def _selection_changed(self) -> None:
        self._set_deal_buttons(self.selected_deal() is not None)
        self.on_select()

    def _set_deal_buttons(self, enabled: bool) -> None:
        for b in (self.offer_button, self.crank_button, self.close_button):
            b.setEnabled(enabled)

    async def _act(self, button: QPushButton, what: str, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run `work()` with its button disabled; refusals (a watch-only account included) become
        the view's message."""
        button.setEnabled(False)
        self.message.info(f"{what}: waiting for the MXE...")
        try:
            return await work()
        except USER_ERRORS as exc:
            self.message.error(f"{what}: {exc}")
            return None
        finally:
            button.setEnabled(True)

    # ------------------------------------------------------------------ list + select
    @action_slot()
    async def on_refresh(self) -> None:
        try:
            rows = await self.session.deals.list()
        except USER_ERRORS as exc:
            self.message.error(f"cannot list deals: {exc}")
            return
        self.rows = {r.deal: r.to_json() for r in rows}
        ordered = rows[::-1]
        fill_table(self.table, [[r.deal, r.status, r.role, r.num_offers,
                                 time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.expires_at))] for r in ordered],
                   [r.deal for r in ordered])
        await self.on_select()

    @action_slot()
    async def on_select(self) -> None:
        deal = self.selected_deal()
        self._set_deal_buttons(deal is not None)
        if deal is None:
            self.deal_label.setText("Select a deal")
            self.results.setPlainText("")
            fill_table(self.offers_table, [])
            return
        try:
            view = await self.session.deals.show(Pubkey.from_string(deal))
        except USER_ERRORS as exc:
            self.deal_label.setText(f"{deal}: {exc}")
            return
        if deal != self.selected_deal():
            return  # the selection moved while reading
        data = view.to_json()
        self.deal_label.setText(f"{deal[:16]}…  {data['status']}, {data['num_offers']} offer(s), partial "
                                f"{'allowed' if data['allow_partial'] else 'not allowed'}")
        me = self.session.owner
        fill_table(self.offers_table, [[o["index"], o["offer"], o["status"], "yes" if o["controller"] == me else ""]
                                       for o in data["offers"]], [o["offer"] for o in data["offers"]])
        self.results.setPlainText("\n".join(result_lines(data["mine"])))

    # ------------------------------------------------------------------ actions
    @action_slot()
    async def on_create(self) -> None:
        try:
            amount = parse_units(self.amount_edit.text(), "amount")
            price = parse_price(self.price_edit.text())
        except USER_ERRORS as exc:
            self.message.error(str(exc))
            return
        out = await self._act(self.create_button, "create deal", lambda: self.session.deals.create(
            amount, price, self.expires_spin.value(), self.partial_box.isChecked()))
        if out is None:
            return
        self.message.info(f"deal {out.deal} created: {out.amount} at {out.price} "
                          "(confirmed by the MXE, sealed to you)")
        await self.on_refresh()
        select_key(self.table, out.deal)

    @action_slot()
    async def on_offer(self) -> None:
        deal = self.selected_deal()
        try:
            if deal is None:
                raise InputError("select a deal to offer on")
            amount = parse_units(self.offer_amount.text(), "offer amount")
            price = parse_price(self.offer_price.text())
        except USER_ERRORS as exc:
            self.message.error(str(exc))
            return
        out = await self._act(self.offer_button, "offer", lambda: self.session.deals.offer(
            Pubkey.from_string(deal), amount, price))
        if out is not None:
            self.message.info(f"offer {out.offer[:10]}… submitted: {out.amount} at {out.price} "
                              "(fill computed under encryption)")
            await self.on_refresh()

    @action_slot()
    async def on_crank(self) -> None:
        deal = self.selected_deal()
        if deal is None:
            self.message.error("select a deal to crank")
            return
        out = await self._act(self.crank_button, "crank",
                              lambda: self.session.deals.crank(Pubkey.from_string(deal)))
        if out is None:
            return
        text = f"deal {deal[:10]}…: {out.status}"
        if out.deal_crank is not None and out.deal_crank.result == "rejected":
            text += " (not fully filled yet: crank again after expiry)"
        if out.offers:
            text += f"; settled {len(out.offers)} offer(s) of mine"
        self.message.info(text)
        await self.on_refresh()

    @action_slot()
    async def on_close(self) -> None:
        deal = self.selected_deal()
        if deal is None:
            return
        row = self.rows.get(deal, {})
        if not await self.session.confirm(self, Confirmation(
                "Close deal accounts", "Close my accounts",
                f"Close your settled offers on deal {deal[:10]}…"
                + (" and the deal itself" if row.get("role") in ("creator", "controller") else "") + ".",
                "Their rent returns to you; closed accounts cannot be read on chain or reopened.")):
            self.message.info(CANCELLED)
            return
        out = await self._act(self.close_button, "close",
                              lambda: self.session.deals.close(Pubkey.from_string(deal)))
        if out is not None:
            self.message.info("closed " + ", ".join(k[:10] + "…" for k in out.closed))
            await self.on_refresh()

"""The wallet's fiat-rail account: open one, see its PKR balance, top it up (sandbox).

Why it sits beside the order entry: an ask is paid into this account (its salted commitment
goes on-chain with the ask) and a bid proves solvency from its notary-attested balance, so a
trader needs it right where orders are placed. The credential and salt stay in the keystore's
encrypted notes (TradeContext.open_rail_account).
"""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from protocol.units import format_pkr

from .bridge import CoreBridge
from .session import USER_ERRORS, GuiSession, action_slot, parse_pkr
from .table_widgets import MessageLabel


class RailPanel(QGroupBox):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__("Fiat rail account (Easypaisa sandbox)", parent)
        self.bridge = bridge
        self.session = session
        self.handle_edit = QLineEdit()
        self.handle_edit.setPlaceholderText("e.g. 0345-1234567")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("name shown to the payer")
        self.open_button = QPushButton("Open rail account")
        self.account_label = QLabel("-")
        self.balance_label = QLabel("-")
        self.topup_edit = QLineEdit()
        self.topup_edit.setPlaceholderText("PKR, e.g. 50000")
        self.topup_button = QPushButton("Top up (sandbox)")
        self.refresh_button = QPushButton("Refresh")
        self.message = MessageLabel()
        self.balance_paisa: int | None = None   # the last balance shown (None: not read yet)

        form = QFormLayout(self)
        self._open_rows = [QLabel("Handle"), self.handle_edit, QLabel("Name"), self.name_edit]
        form.addRow(self._open_rows[0], self.handle_edit)
        form.addRow(self._open_rows[2], self.name_edit)
        form.addRow("", self.open_button)
        form.addRow("Account", self.account_label)
        row = QHBoxLayout()
        row.addWidget(self.balance_label, 1)
        row.addWidget(self.refresh_button)
        form.addRow("Balance", row)
        top = QHBoxLayout()
        top.addWidget(self.topup_edit, 1)
        top.addWidget(self.topup_button)
        form.addRow("Top up", top)
        form.addRow(self.message)
        self.open_button.clicked.connect(self.on_open)
        self.topup_button.clicked.connect(self.on_topup)
        self.refresh_button.clicked.connect(self.on_refresh)
        self.show_state()

    def has_account(self) -> bool:
        return bool(self.session.rail_note().get("commitment"))  # a finished open (trader.py)

    def show_state(self) -> None:
        note = self.session.rail_note()
        opened = bool(note.get("handle"))
        for w in self._open_rows + [self.open_button]:
            w.setVisible(not opened)
        for w in (self.topup_edit, self.topup_button, self.refresh_button):
            w.setEnabled(opened)
        self.account_label.setText(f"{note['handle']} ({note.get('display_name') or '-'})" if opened
                                   else "none yet: asks are paid into it, bids prove solvency from it")

    @action_slot()
    async def on_open(self) -> None:
        handle, name = self.handle_edit.text().strip(), self.name_edit.text().strip()
        if not handle or not name:
            self.message.error("enter the account's handle (e.g. 0345-1234567) and a display name")
            return
        self.open_button.setEnabled(False)
        try:
            out = await self.session.base.open_rail_account(handle, name)
        except USER_ERRORS as exc:
            self.message.error(f"not opened: {exc}")
            return
        finally:
            self.open_button.setEnabled(True)
            self.session.notes_changed()
        self.message.info(f"rail account {out['handle']} opened")
        self.bridge.statusMessage.emit(f"Rail account {out['handle']} opened")
        self.show_state()
        await self.on_refresh()

    @action_slot()
    async def on_topup(self) -> None:
        try:
            paisa = parse_pkr(self.topup_edit.text(), "top-up")
        except ValueError as exc:
            self.message.error(str(exc))
            return
        self.topup_button.setEnabled(False)
        try:
            out = await (await self.session.base.rail()).top_up(self.session.base.rail_login(), paisa)
        except USER_ERRORS as exc:
            self.message.error(f"top-up refused: {exc}")
            return
        finally:
            self.topup_button.setEnabled(True)
        self.balance_paisa = int(out["balance_paisa"])
        self.balance_label.setText(f"{format_pkr(out['balance_paisa'])} PKR")
        self.message.info(f"topped up {format_pkr(paisa)} PKR")
        self.topup_edit.clear()

    @action_slot()
    async def on_refresh(self) -> None:
        if not self.has_account():
            return
        try:
            out = await (await self.session.base.rail()).balance(self.session.base.rail_login())
        except USER_ERRORS as exc:
            self.balance_label.setText(f"unavailable: {exc}")
            return
        self.balance_paisa = int(out["balance_paisa"])
        self.balance_label.setText(f"{format_pkr(out['balance_paisa'])} PKR")

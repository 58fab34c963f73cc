"""Activity: the selected account's transactions - its history on the chain merged with what
this window is sending now - newest first, paged, with each one's status, slot and logs.

Why two sources: the chain knows every transaction that named the account, whoever sent it and
whether or not this window was open (getSignaturesForAddress, newest first, paged with
`before`); only the window knows what it is sending right now and what it refused before
sending (TxSender's TxSubmitted / TxConfirmed / TxFailed, with the program's error named from
its IDL). Both are merged by signature. A history entry's logs are fetched (getTransaction)
only when it is selected, so opening the tab costs one RPC call per page.
Ordering is by slot, not wall-clock: the cluster's clock may be warped (tests) and a local
refusal has no slot, so it takes the newest slot seen when it happened.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget

from wallet.core.chain_history import SignatureInfo, TxDetail
from wallet.core.tx import TxConfirmed, TxFailed, TxSubmitted

from .bridge import CoreBridge
from .session import USER_ERRORS, GuiSession, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, selected_key

HEADERS = ["Time", "Status", "Slot", "What", "Signature"]
PAGE_SIZE = 25


@dataclass
class Entry:
    key: str
    signature: str | None
    status: str
    at: float | None                 # unix time (local clock for sends, block time for history)
    slot: int | None = None
    logs: list[str] = field(default_factory=list)
    reason: str = ""
    order_slot: int = 0              # slot used for ordering (a refusal's: the newest seen then)
    from_chain: bool = False         # listed by getSignaturesForAddress
    sent_here: bool = False          # this window sent (or refused) it: kept whatever account is shown
    logs_loaded: bool = False        # logs come from the sender's events or from getTransaction
    fee: int | None = None

    @property
    def what(self) -> str:
        """The instruction names the programs logged ("PlaceAskOrder, ..."), else the reason."""
        names = [line.split("Instruction: ", 1)[1] for line in self.logs
                 if line.startswith("Program log: Instruction: ")]
        text = ", ".join(dict.fromkeys(names))
        if text or self.reason:
            return text or self.reason[:80]
        return "" if self.logs_loaded else "(select for logs)"


class ActivityView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.page_size = PAGE_SIZE
        self.entries: dict[str, Entry] = {}
        self.last_slot = 0
        self.oldest: str | None = None   # the oldest history signature loaded (the next page's `before`)
        self.more = False                # the last page was full: older history may exist
        self._loaded_for: str | None = None
        self._paging = False
        self._local_ids = itertools.count(1)
        self.table = make_table(HEADERS)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.copy_button = QPushButton("Copy signature")
        self.reload_button = QPushButton("Reload")
        self.older_button = QPushButton("Load older")
        self.older_button.setEnabled(False)
        self.title = QLabel("Transactions of the selected account (newest first)")
        self.message = MessageLabel()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        for b in (self.reload_button, self.older_button, self.copy_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        self.table.itemSelectionChanged.connect(self.on_selection)
        self.copy_button.clicked.connect(self._copy)
        self.reload_button.clicked.connect(self.on_reload)
        self.older_button.clicked.connect(self.on_older)
        bridge.txSubmitted.connect(self.on_submitted)
        bridge.txConfirmed.connect(self.on_confirmed)
        bridge.txFailed.connect(self.on_failed)
        bridge.slotChanged.connect(self._on_slot)
        bridge.tradingAccountChanged.connect(lambda _e: self.on_reload())

    # ------------------------------------------------------------------ live sends
    def _on_slot(self, slot: int) -> None:
        self.last_slot = max(self.last_slot, slot)

    def _live(self, key: str, signature: str | None) -> Entry:
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = Entry(key, signature, "", time.time(), order_slot=self.last_slot + 1)
        entry.sent_here = True
        return entry

    def on_submitted(self, event: TxSubmitted) -> None:
        entry = self._live(event.signature, event.signature)
        if entry.slot is None:
            entry.status = "submitted" if event.attempt == 1 else f"submitted (attempt {event.attempt})"
        self.refresh()

    def on_confirmed(self, event: TxConfirmed) -> None:
        entry = self._live(event.signature, event.signature)
        entry.status, entry.slot, entry.logs, entry.logs_loaded = "confirmed", event.slot, list(event.logs), True
        entry.order_slot = event.slot
        self._on_slot(event.slot)
        self.refresh()

    def on_failed(self, event: TxFailed) -> None:
        if event.signature is None:  # refused before sending: no signature exists
            entry = self._live(f"local-{next(self._local_ids)}", None)
            entry.status = "not sent (simulation failed)"
        else:
            entry = self._live(event.signature, event.signature)
            entry.status = "failed"
        entry.reason, entry.logs, entry.logs_loaded = event.reason, list(event.logs), True
        self.refresh()

    # ------------------------------------------------------------------ chain history
    def _merge(self, infos: list[SignatureInfo]) -> None:
        for info in infos:
            entry = self.entries.get(info.signature)
            if entry is None:
                entry = self.entries[info.signature] = Entry(info.signature, info.signature, "", info.block_time)
            entry.from_chain = True
            entry.slot = entry.order_slot = info.slot
            entry.status = "confirmed" if info.err is None else "failed"
            if info.err is not None and not entry.reason:
                entry.reason = info.err
            if entry.at is None:
                entry.at = info.block_time
            self._on_slot(info.slot)

    async def _page(self, before: str | None) -> list[SignatureInfo] | None:
        owner = self.session.owner
        try:
            infos = await self.session.history.page(owner, before=before, limit=self.page_size)
        except USER_ERRORS as exc:
            self.message.error(f"history unavailable: {exc}")
            return None
        if owner != self.session.owner:
            return None  # the account changed while reading: its own reload is under way
        self.message.setText("")
        self._merge(infos)
        if infos:
            self.oldest = infos[-1].signature
        self.more = len(infos) == self.page_size
        self.older_button.setEnabled(self.more)
        self.refresh()
        return infos

    @action_slot()
    async def on_reload(self) -> None:
        """The newest page of the selected account's history (live sends stay)."""
        if self._loaded_for != self.session.owner:   # another account: drop the other's history
            self.entries = {k: e for k, e in self.entries.items() if e.sent_here}
            self._loaded_for = self.session.owner
        self.oldest, self.more = None, False
        self.title.setText(f"Transactions of {self.session.owner} (newest first)")
        await self._page(None)

    @action_slot()
    async def on_older(self) -> None:
        if self.oldest is not None and self.more and not self._paging:
            self._paging = True   # a second click while this page loads would ask for the same page
            try:
                await self._page(self.oldest)
            finally:
                self._paging = False

    @action_slot()
    async def load_logs(self, key: str) -> None:
        entry = self.entries.get(key)
        if entry is None or entry.logs_loaded or entry.signature is None:
            return
        try:
            tx: TxDetail | None = await self.session.history.transaction(entry.signature)
        except USER_ERRORS as exc:
            self.message.error(f"logs unavailable: {exc}")
            return
        if tx is None:
            self.message.error(f"the cluster does not serve transaction {entry.signature}")
            return
        entry.logs, entry.logs_loaded, entry.fee = tx.logs, True, tx.fee
        entry.slot = entry.order_slot = tx.slot
        entry.status = "confirmed" if tx.err is None else "failed"
        if tx.err is not None and not entry.reason:
            entry.reason = tx.err
        self.refresh()

    # ------------------------------------------------------------------ table
    def ordered(self) -> list[Entry]:
        return sorted(self.entries.values(), key=lambda e: (e.order_slot, e.at or 0), reverse=True)

    def refresh(self) -> None:
        ordered = self.ordered()
        rows = [["" if e.at is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at)), e.status,
                 "" if e.slot is None else f"{e.slot:,}", e.what, e.signature or "-"] for e in ordered]
        fill_table(self.table, rows, [e.key for e in ordered])
        self.show_selected()

    def on_selection(self) -> None:
        self.show_selected()
        key = selected_key(self.table)
        entry = self.entries.get(key)
        if entry is not None and not entry.logs_loaded:
            self.load_logs(key)

    def show_selected(self) -> None:
        entry = self.entries.get(selected_key(self.table))
        if entry is None:
            self.detail.setPlainText("Select a transaction to see its logs.")
            return
        lines = [f"signature: {entry.signature or '(none: nothing was sent)'}", f"status: {entry.status}"]
        if entry.slot is not None:
            lines.append(f"slot: {entry.slot:,}")
        if entry.fee is not None:
            lines.append(f"fee: {entry.fee:,} lamports")
        if entry.reason:
            lines.append(f"reason: {entry.reason}")
        logs = entry.logs if entry.logs_loaded else ["(loading...)"]
        lines += ["", "logs:"] + (logs or ["(none)"])
        self.detail.setPlainText("\n".join(lines))

    def _copy(self) -> None:
        entry = self.entries.get(selected_key(self.table))
        if entry is not None and entry.signature:
            QGuiApplication.clipboard().setText(entry.signature)

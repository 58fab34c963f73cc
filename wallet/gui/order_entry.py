"""Placing asks and bids from the order book tab.

Why the checks here: a field that does not parse, an ask without a rail account to be paid
into, or a size the market refuses is explained next to the form before anything is signed
(the core repeats the market's own checks and the program's error names come through TxError).
A bid first proves solvency: that runs on the prover's worker thread as a proof job, its
stages move the progress bar, and "Cancel proof" stops it - then no bid is sent.

Why a quote under each form and a review before signing: as the user types, the form says
the fiat due, the fees (network fee, a bid's SOL bonds and their rent) and what gets escrowed
(wallet/core/order_quote.py, from the live book: no I/O per keystroke). Before anything is
signed, the review dialog shows what the cluster's simulation of that very transaction does to
this account's SOL and USDC, or the program's error in words; then nothing is sent
(wallet/core/tx_preview.py, awaited on the event loop, never blocking it).
"""
from __future__ import annotations

import asyncio

from PySide6.QtWidgets import (
    QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout,
    QWidget)

from protocol.units import fiat_due, format_pkr, format_usdc
from wallet.core.references import order_ref
from wallet.core.events import BalanceChanged
from wallet.core.proof_jobs import ProofFinished, ProofProgress, ProofQueued
from wallet.core.amounts import format_amount
from wallet.core.chain import NETWORK_ERRORS
from wallet.core.market_service import BookUpdated
from wallet.core.order_quote import ChainCosts, OrderQuote, chain_costs, quote_ask, quote_bid
from wallet.core.tx_preview import TxPreview
from wallet.core.trader import OrderResult
from wallet.core.seed_backup import BackupNotConfirmed, require_backup

from .bridge import CoreBridge
from .field_notes import FieldNote, amount_problem
from .confirm import CANCELLED, Confirmation, review
from .rail_panel import RailPanel
from .session import USER_ERRORS, GuiSession, action_slot, parse_pkr, parse_usdc
from .table_widgets import MessageLabel


def describe(side: str, result: OrderResult) -> str:
    parts = [f"{side} placed"]
    if result.filled:
        parts.append(f"filled {format_usdc(result.filled)} USDC")
    if result.resting:
        parts.append(f"resting {format_usdc(result.resting)} USDC as order {order_ref(result.order_id)}")
    if result.matched_order_ids:
        parts.append("matched order " + ", ".join(f"#{m}" for m in result.matched_order_ids)
                     + " (see Settlement)")
    if result.cancelled and side == "bid":
        parts.append(f"{format_usdc(result.cancelled)} USDC unmatched, cancelled (bids never rest)")
    if result.bond_lamports:
        parts.append(f"bond {format_amount(result.bond_lamports, 9)} SOL posted (back when you settle)")
    return "; ".join(parts)


def ask_confirmation(size: int, price: int, handle: str | None, preview: TxPreview | None = None,
                     costs: tuple[str, ...] = ()) -> Confirmation:
    return Confirmation(
        "Place ask", f"Escrow {format_usdc(size)} USDC",
        f"Escrow {format_usdc(size)} USDC behind an ask at {format_pkr(price)} PKR per USDC.",
        f"A matched buyer pays {format_pkr(fiat_due(size, price))} PKR into your rail account "
        f"{handle or ''}".rstrip() + ". Until it matches you can cancel it and the unfilled escrow "
        "comes back; once matched, the USDC stays escrowed until the buyer proves payment or the "
        "deadline passes.", preview=preview, costs=costs)


def bid_confirmation(size: int, price: int, preview: TxPreview | None = None,
                     costs: tuple[str, ...] = ()) -> Confirmation:
    due = format_pkr(fiat_due(size, price))
    return Confirmation(
        "Place bid", "Sign and bid",
        f"Bid for {format_usdc(size)} USDC at {format_pkr(price)} PKR per USDC ({due} PKR).",
        f"The proof that your rail balance covers {due} PKR is made and goes with the bid. If it "
        f"matches, you must pay {due} PKR on the rail before the deadline to receive the USDC; "
        "the SOL bond comes back when you settle.", preview=preview, costs=costs)


class OrderEntry(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.rail = RailPanel(bridge, session)
        self.ask_size, self.ask_price = QLineEdit(), QLineEdit()
        self.bid_size, self.bid_price = QLineEdit(), QLineEdit()
        for edit in (self.ask_size, self.bid_size):
            edit.setPlaceholderText("USDC, e.g. 100")
        for edit in (self.ask_price, self.bid_price):
            edit.setPlaceholderText("PKR per USDC, e.g. 285")
        self.ask_button = QPushButton("Place ask (escrow USDC)")
        self.bid_button = QPushButton("Place bid (prove solvency)")
        self.cancel_proof_button = QPushButton("Cancel proof")
        self.cancel_proof_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 4)
        self.progress.setValue(0)
        self.progress.setFormat("solvency proof")
        self.ask_due, self.bid_due = QLabel(""), QLabel("")
        # fiat due, fees and escrow as you type (order_quote.py)
        self.ask_quote, self.bid_quote = QLabel(""), QLabel("")
        for label, name in ((self.ask_quote, "ask quote"), (self.bid_quote, "bid quote")):
            label.setWordWrap(True)
            label.setAccessibleName(name)
        self.costs: ChainCosts | None = None
        self._costs_task: asyncio.Future[None] | None = None
        self.book = None
        self.message = MessageLabel()
        self.bid_job: int | None = None
        self._bidding = False
        # as-you-type checks (field_notes.py); the USDC balance is the selected account's
        self.ask_size_note, self.ask_price_note = FieldNote(), FieldNote()
        self.bid_size_note, self.bid_price_note = FieldNote(), FieldNote()
        self.usdc_balance: int | None = None

        ask_box = QGroupBox("Sell USDC (ask)")
        af = QFormLayout(ask_box)
        af.addRow("Size", self.ask_size)
        af.addRow("", self.ask_size_note)
        af.addRow("Price", self.ask_price)
        af.addRow("", self.ask_price_note)
        af.addRow("", self.ask_due)
        af.addRow("", self.ask_quote)
        af.addRow("", self.ask_button)
        bid_box = QGroupBox("Buy USDC (bid)")
        bf = QFormLayout(bid_box)
        bf.addRow("Size", self.bid_size)
        bf.addRow("", self.bid_size_note)
        bf.addRow("Price", self.bid_price)
        bf.addRow("", self.bid_price_note)
        bf.addRow("", self.bid_due)
        bf.addRow("", self.bid_quote)
        row = QHBoxLayout()
        row.addWidget(self.bid_button, 1)
        row.addWidget(self.cancel_proof_button)
        bf.addRow("", row)
        bf.addRow("Proof", self.progress)
        forms = QHBoxLayout()
        forms.addWidget(ask_box)
        forms.addWidget(bid_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rail)
        layout.addLayout(forms)
        layout.addWidget(self.message)
        layout.addStretch(1)

        for size, price, due in ((self.ask_size, self.ask_price, self.ask_due),
                                 (self.bid_size, self.bid_price, self.bid_due)):
            size.textChanged.connect(lambda _t, s=size, p=price, d=due: self._show_due(s, p, d))
            price.textChanged.connect(lambda _t, s=size, p=price, d=due: self._show_due(s, p, d))
        for edit in (self.ask_size, self.ask_price, self.bid_size, self.bid_price):
            edit.textChanged.connect(lambda _t: self.check_fields())
            edit.textChanged.connect(lambda _t: self.show_quotes())
        bridge.bookUpdated.connect(self.on_book)
        bridge.balanceChanged.connect(self.on_balance)
        self.ask_button.clicked.connect(self.on_ask)
        self.bid_button.clicked.connect(self.on_bid)
        self.cancel_proof_button.clicked.connect(self.on_cancel_proof)
        bridge.proofQueued.connect(self.on_proof_queued)
        bridge.proofProgress.connect(self.on_proof_progress)
        bridge.proofFinished.connect(self.on_proof_finished)

    def on_balance(self, event: BalanceChanged) -> None:
        if event.address == self.session.owner:
            self.usdc_balance = event.usdc
            self.check_fields()

    def check_fields(self) -> None:
        """The note under each amount field, from its text as typed."""
        self.ask_size_note.say(amount_problem(
            self.ask_size.text(), parse_usdc, limit=self.usdc_balance,
            over_limit=lambda v: f"more than your balance of {format_usdc(self.usdc_balance or 0)} USDC"))
        self.ask_price_note.say(amount_problem(self.ask_price.text(), parse_pkr))
        self.bid_size_note.say(amount_problem(self.bid_size.text(), parse_usdc))
        price_problem = amount_problem(self.bid_price.text(), parse_pkr)
        if price_problem is None and self.rail.balance_paisa is not None:
            try:
                due = fiat_due(parse_usdc(self.bid_size.text()), parse_pkr(self.bid_price.text()))
            except ValueError:
                due = None
            if due is not None and due > self.rail.balance_paisa:
                price_problem = (f"{format_pkr(due)} PKR is more than your rail balance of "
                                 f"{format_pkr(self.rail.balance_paisa)} PKR: the solvency proof would fail")
        self.bid_price_note.say(price_problem)

    def set_best_prices(self, best_bid: int | None, best_ask: int | None) -> None:
        self.ask_price.setPlaceholderText(f"PKR per USDC (best bid {format_pkr(best_bid)})" if best_bid
                                          else "PKR per USDC, e.g. 285")
        self.bid_price.setPlaceholderText(f"PKR per USDC (best ask {format_pkr(best_ask)})" if best_ask
                                          else "PKR per USDC, e.g. 285")

    # ------------------------------------------------------------------ quotes
    def on_book(self, event: BookUpdated) -> None:
        self.book = event.book
        self.show_quotes()

    def quotes(self) -> tuple[OrderQuote | None, OrderQuote | None]:
        """The ask's and the bid's quote from the fields as typed (None: a field does not parse,
        or the cluster's costs or the book are not read yet)."""
        out: list[OrderQuote | None] = []
        for side, size, price in (("ask", self.ask_size, self.ask_price), ("bid", self.bid_size, self.bid_price)):
            try:
                out.append(self.quote(side, parse_usdc(size.text()), parse_pkr(price.text())))
            except ValueError:
                out.append(None)
        return out[0], out[1]

    def quote(self, side: str, size: int, price: int) -> OrderQuote | None:
        if self.costs is None:
            return None
        if side == "ask":
            return quote_ask(size, price, self.costs)
        book = self.book or self.session.market.book
        return None if book is None else quote_bid(size, price, book, self.costs, owner=self.session.owner)

    def show_quotes(self) -> None:
        if self.costs is None:
            self._load_costs()
        ask, bid = self.quotes()
        self.ask_quote.setText("\n".join(ask.lines()) if ask else "")
        self.bid_quote.setText("\n".join(bid.lines()) if bid else "")

    def _load_costs(self) -> None:
        """Read the rents once, on the event loop (never per keystroke)."""
        if self._costs_task is not None and not self._costs_task.done():
            return
        try:
            self._costs_task = asyncio.ensure_future(self._read_costs())
        except RuntimeError:   # no running loop (a form built outside the app)
            self._costs_task = None

    async def _read_costs(self) -> None:
        try:
            self.costs = await chain_costs(self.session.base.chain)
        except NETWORK_ERRORS + (RuntimeError,) as exc:   # RuntimeError: the client closed meanwhile
            self.ask_quote.setText(f"fees unknown: the cluster is unreachable ({type(exc).__name__})")
            return
        self.show_quotes()

    @staticmethod
    def _show_due(size: QLineEdit, price: QLineEdit, due: QLabel) -> None:
        try:
            text = f"= {format_pkr(fiat_due(parse_usdc(size.text()), parse_pkr(price.text())))} PKR"
        except ValueError:
            text = ""
        due.setText(text)

    def _inputs(self, size: QLineEdit, price: QLineEdit) -> tuple[int, int] | None:
        try:
            return parse_usdc(size.text()), parse_pkr(price.text())
        except ValueError as exc:
            self.message.error(str(exc))
            return None

    def _backed_up(self, outcome: str, action: str) -> bool:
        """The core's backup rule (seed_backup.py), asked before the rail check and the confirmation
        so the first thing said is what to do; the core refuses again in place_ask/place_bid."""
        try:
            require_backup(self.session.keystore, action)
        except BackupNotConfirmed as exc:
            self.message.error(f"{outcome}: {exc}")
            return False
        return True

    # ------------------------------------------------------------------ ask
    @action_slot()
    async def on_ask(self) -> None:
        parsed = self._inputs(self.ask_size, self.ask_price)
        if parsed is None:
            return
        size, price = parsed
        if not self._backed_up("ask not placed", "an ask escrows USDC"):
            return
        if not self.rail.has_account():
            self.message.error("open a rail account first: the buyer pays the ask into it")
            return
        self.ask_button.setEnabled(False)
        try:
            self.message.info(f"simulating an ask of {format_usdc(size)} USDC at {format_pkr(price)} PKR...")
            try:
                await self.session.directory()
                # the market's own rules are left to the program: the review shows its verdict
                prepared = await self.session.ctx.prepare_ask(price, size, precheck=False)
                preview = await self.session.ctx.preview(prepared)
            except USER_ERRORS as exc:
                self.message.error(f"ask not placed: {exc}")
                return
            quote = self.quote("ask", size, price)
            what = ask_confirmation(size, price, self.session.rail_note().get("handle"), preview,
                                    tuple(quote.lines()) if quote else ())
            if not await review(self.session.confirm, self, what):
                self._declined("ask", preview)
                return
            self.message.info(f"escrowing {format_usdc(size)} USDC behind an ask at {format_pkr(price)} PKR...")
            try:
                result = await self.session.ctx.submit(prepared)
            except USER_ERRORS as exc:
                self.message.error(f"ask not placed: {exc}")
                return
        finally:
            self.ask_button.setEnabled(True)
        self.message.info(describe("ask", result))
        self.bridge.statusMessage.emit(describe("ask", result))
        self.ask_size.clear()

    def _declined(self, side: str, preview: TxPreview) -> None:
        if preview.error is not None:
            self.message.error(f"{side} not placed, nothing was sent: {preview.error}")
        else:
            self.message.info(CANCELLED)

    # ------------------------------------------------------------------ bid
    @action_slot()
    async def on_bid(self) -> None:
        parsed = self._inputs(self.bid_size, self.bid_price)
        if parsed is None:
            return
        size, price = parsed
        if not self._backed_up("bid not placed", "a bid posts bonds and locks the seller's escrow"):
            return
        if not self.rail.has_account():
            self.message.error("open a rail account first: a bid proves solvency from its balance")
            return
        self.bid_button.setEnabled(False)
        try:
            prepared_preview = await self._prove_bid(size, price)
            if prepared_preview is None:
                return
            prepared, preview = prepared_preview
            quote = self.quote("bid", size, price)
            what = bid_confirmation(size, price, preview, tuple(quote.lines()) if quote else ())
            if not await review(self.session.confirm, self, what):
                self._declined("bid", preview)
                return
            self.message.info(f"sending the bid for {format_usdc(size)} USDC...")
            try:
                result = await self.session.ctx.submit(prepared)
            except USER_ERRORS as exc:
                self.message.error(f"bid not placed: {exc}")
                return
        finally:
            self.bid_button.setEnabled(True)
        self.message.info(describe("bid", result))
        self.bridge.statusMessage.emit(describe("bid", result))
        self.bid_size.clear()

    async def _prove_bid(self, size: int, price: int):  # -> tuple[PreparedOrder, TxPreview] | None
        """The solvency proof (a cancellable job) and the bid's simulation; None when refused."""
        self.bid_job, self._bidding = None, True
        self.progress.setValue(0)
        self.progress.setFormat("solvency proof: attesting the rail balance...")
        self.message.info(f"proving solvency for {format_pkr(fiat_due(size, price))} PKR...")
        try:
            prepared = await self.session.ctx.prepare_bid(price, size)
            self.message.info("simulating the bid on the cluster...")
            return prepared, await self.session.ctx.preview(prepared)
        except USER_ERRORS as exc:
            self.message.error(f"bid not placed: {exc}")
            if self.bid_job is None:  # refused before a proof job existed
                self.progress.setFormat("solvency proof: not started")
            return None
        finally:
            self._bidding = False
            self.cancel_proof_button.setEnabled(False)

    def on_proof_queued(self, event: ProofQueued) -> None:
        if self._bidding and self.bid_job is None and event.circuit == "solvency":
            self.bid_job = event.job_id
            self.cancel_proof_button.setEnabled(True)

    def on_proof_progress(self, event: ProofProgress) -> None:
        if event.job_id == self.bid_job:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.index)
            eta = f", {event.eta.words()}" if event.eta else ", no ETA before a first run"
            self.progress.setFormat(f"solvency proof: {event.stage} ({event.index}/{event.total}{eta})")

    def on_proof_finished(self, event: ProofFinished) -> None:
        if event.job_id == self.bid_job:
            self.cancel_proof_button.setEnabled(False)
            if event.state == "done":
                self.progress.setValue(self.progress.maximum())
            self.progress.setFormat(f"solvency proof: {event.state}")

    def on_cancel_proof(self) -> None:
        if self.bid_job is not None:
            self.session.proofs.cancel(self.bid_job)
            self.message.info("cancelling the solvency proof; no bid will be sent")

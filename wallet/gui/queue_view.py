"""The settlement queue: my matched orders by deadline, and for the selected one a stepper.

Why a stepper: a matched order asks different things of each side at each moment - the buyer
pays, proves and finalizes before the deadline, the seller waits and, at an unpaid deadline,
reclaims. wallet/core/trade_steps.trade_step decides the phase, the headline and the ONE primary
action from the record, this wallet's role, the cluster clock and what the wallet itself knows
(its payment and proof notes, the seller's rail statement); TradeStepper draws it and
PaymentCard shows exactly what to pay and the reference. The core re-checks every action with a
fresh read (the program's refusal, named from its IDL, is shown if the state moved meanwhile),
and everything that moves funds is confirmed first (confirm.py).

The countdown ticks every second from the cluster time of the last snapshot; the market service
refreshes that snapshot live, and the seller's rail watch (seller_payments.py) reports the
buyer's payment, so the seller follows the buyer's progress without doing anything.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
    QWidget)

from protocol.units import format_pkr, format_usdc
from wallet.core.amounts import format_amount
from wallet.core.market_client import MatchedOrderView
from wallet.core.market_service import QueueUpdated
from wallet.core.proof_jobs import ProofFinished, ProofJobService, ProofProgress, ProofQueued
from wallet.core.trade_steps import (
    Action, LocalProgress, Role, TradeStep, format_left, payment_reference, role_of, trade_step)

from .bridge import CoreBridge
from .confirm import CANCELLED, Confirmation
from .file_choosers import choose_save_path
from .payment_card import PaymentCard
from .session import USER_ERRORS, GuiSession, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, row_key, select_key, selected_key
from .trade_stepper import TradeStepper

HEADERS = ["#", "Role", "Status", "USDC", "Price (PKR/USDC)", "PKR due", "Time left"]
TIME_COLUMN = 6
__all__ = ["QueueView", "format_left"]


def by_deadline(r: MatchedOrderView) -> tuple[int, int, int]:
    """Open records first, the nearest deadline on top; then finished ones, the latest first."""
    return (0, r.expires_at, r.order_id) if r.status == "Pending" else (1, -r.updated_at, -r.order_id)


class QueueView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.records: dict[int, MatchedOrderView] = {}
        self.received = time.monotonic()
        self.busy: set[int] = set()          # orders with an action in flight
        self.revealing: set[int] = set()
        self.reveal_errors: dict[int, str] = {}   # why the directory did not reveal a payee
        self.prove_job: int | None = None
        self.proving_order: int | None = None
        self._auto_selected = False
        self.show_all = QCheckBox("Show every record, not only mine")
        self.table = make_table(HEADERS)
        self.stepper = TradeStepper()
        self.card = PaymentCard()
        self.payee_label = self.card.payee_label
        self.order_label, self.counterparty_label = QLabel("-"), QLabel("-")
        self.paid_label, self.proof_label = QLabel("-"), QLabel("-")
        for label in (self.order_label, self.counterparty_label, self.paid_label, self.proof_label):
            label.setWordWrap(True)
        self.export_button = QPushButton("Export request...")
        self.export_button.setToolTip("prove on another machine: `anomi prove REQUEST -o PROOF`, "
                                      "then import the proof in Proof jobs")
        self.cancel_proof_button = QPushButton("Cancel proof")
        for b in (self.export_button, self.cancel_proof_button):
            b.setFlat(True)
            self.stepper.actions_row.addWidget(b)
        self.progress = QProgressBar()
        self.progress.setRange(0, 4)
        self.progress.setValue(0)
        self.progress.setFormat("payment proof")
        self.message = MessageLabel()

        details = QGroupBox("Details")
        form = QFormLayout(details)
        form.addRow("Order", self.order_label)
        form.addRow("Counterparty", self.counterparty_label)
        form.addRow("Rail payment", self.paid_label)
        form.addRow("Payment proof", self.proof_label)
        form.addRow("Proof", self.progress)
        lower = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.stepper)
        left.addWidget(self.card)
        left.addStretch(1)
        lower.addLayout(left, 3)
        lower.addWidget(details, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.show_all)
        layout.addWidget(self.table, 2)
        layout.addLayout(lower, 3)
        layout.addWidget(self.message)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.show_all.toggled.connect(lambda _on: self._fill())
        self.table.itemSelectionChanged.connect(self.on_selection)
        self.stepper.actionRequested.connect(self.on_action)
        self.export_button.clicked.connect(self.on_export_request)
        self.cancel_proof_button.clicked.connect(self.on_cancel_proof)
        bridge.queueUpdated.connect(self.on_queue)
        bridge.tradingAccountChanged.connect(lambda _e: self._fill())   # roles follow the account
        bridge.tradeEvent.connect(lambda _e: self.update_details())   # paid / proved / settled
        bridge.proofQueued.connect(self.on_proof_queued)
        bridge.proofProgress.connect(self.on_proof_progress)
        bridge.proofFinished.connect(self.on_proof_finished)
        self.update_details()

    # ------------------------------------------------------------------ state
    def chain_now(self, r: MatchedOrderView) -> int:
        """The cluster's clock now, from the snapshot's time and the wall time since it came."""
        return r.now + int(time.monotonic() - self.received)

    def seconds_left(self, r: MatchedOrderView) -> int:
        if r.status != "Pending":
            return 0
        return max(0, r.expires_at - self.chain_now(r))

    def role(self, r: MatchedOrderView) -> str:
        return role_of(r.buyer, r.seller, self.session.owner).value

    def local(self, r: MatchedOrderView) -> LocalProgress:
        watch = getattr(self.session, "payment_watch", None)
        return LocalProgress(paid=bool(self.session.paid(r.order_id)), proved=self.session.has_proof(r.order_id),
                             proving=self.proving_order == r.order_id, busy=r.order_id in self.busy,
                             payment_seen=watch is not None and r.order_id in watch.seen)

    def step_of(self, r: MatchedOrderView) -> TradeStep:
        return trade_step(r, self.role(r), self.chain_now(r), self.local(r))

    def step(self) -> TradeStep | None:
        """The selected record's step (what the stepper shows)."""
        r = self.selected()
        return None if r is None else self.step_of(r)

    def selected(self) -> MatchedOrderView | None:
        return self.records.get(selected_key(self.table))

    def select_order(self, order_id: int) -> bool:
        return select_key(self.table, order_id)

    def on_queue(self, event: QueueUpdated) -> None:
        self.records = {r.order_id: r for r in event.records}
        self.received = time.monotonic()
        self._fill()

    def _shown(self) -> list[MatchedOrderView]:
        rows = list(self.records.values())
        if not self.show_all.isChecked():
            rows = [r for r in rows if self.role(r) != Role.OBSERVER.value]
        return sorted(rows, key=by_deadline)

    def _left_text(self, r: MatchedOrderView) -> str:
        if r.status != "Pending":
            return "-"
        left = self.seconds_left(r)
        return format_left(left) if left > 0 else "expired: reclaimable"

    def _fill(self) -> None:
        shown = self._shown()
        rows = [[f"#{r.order_id}", self.role(r), r.status, format_usdc(r.base_amount), format_pkr(r.price),
                 format_pkr(r.fiat_due), self._left_text(r)] for r in shown]
        fill_table(self.table, rows, [r.order_id for r in shown], align_right=(3, 4, 5, 6))
        if shown and self.selected() is None and not self._auto_selected:
            self._auto_selected = True  # first time only: show the most urgent record's details
            self.table.selectRow(0)
        self.update_details()

    def tick(self) -> None:
        for row in range(self.table.rowCount()):
            r = self.records.get(row_key(self.table, row))
            cell = self.table.item(row, TIME_COLUMN)
            if r is not None and cell is not None:
                cell.setText(self._left_text(r))
        self.update_details()

    def on_selection(self) -> None:
        self.update_details()
        r = self.selected()
        if r is not None and self.role(r) == "buyer" and r.status == "Pending" \
                and self.session.known_payee(r.order_id) is None and r.order_id not in self.revealing:
            self.reveal(r.order_id)

    def update_details(self) -> None:
        r = self.selected()
        self.cancel_proof_button.setEnabled(self.prove_job is not None)
        self.export_button.setEnabled(False)
        if r is None:
            for label in (self.order_label, self.counterparty_label, self.paid_label, self.proof_label):
                label.setText("-")
            self.stepper.show_step(None)
            self.card.setVisible(False)
            return
        role, step = self.role(r), self.step_of(r)
        self.stepper.show_step(step)
        self.order_label.setText(f"#{r.order_id}: {format_usdc(r.base_amount)} USDC at {format_pkr(r.price)} "
                                 f"PKR/USDC = {format_pkr(r.fiat_due)} PKR; {r.status}"
                                 + (f", {self._left_text(r)} left" if r.status == "Pending" and step.seconds_left else ""))
        if r.bond_lamports:
            self.order_label.setText(self.order_label.text() + f"; buyer's bond {format_amount(r.bond_lamports, 9)} SOL")
        self.counterparty_label.setText(f"seller {r.seller}" if role == "buyer" else f"buyer {r.buyer}")
        self._payment_lines(r, role)
        self._card(r, role, step)
        self.export_button.setEnabled(role == "buyer" and step.phase.value == "prove" and step.action_enabled)

    def _payment_lines(self, r: MatchedOrderView, role: str) -> None:
        """The rail payment and the proof as this side knows them (a settled record was paid
        and proven, whichever side looks at it)."""
        settled = r.status in ("PaymentConfirmed", "Settled")
        if role == "buyer":
            paid = self.session.paid(r.order_id)
            self.paid_label.setText(f"paid {format_pkr(int(paid['amount_paisa']))} PKR to {paid['payee']} "
                                    f"(payment {paid['payment_id']})" if paid else
                                    "paid (proven on chain)" if settled else "not paid")
            proved = self.session.has_proof(r.order_id)
            self.proof_label.setText("verified on chain" if settled else
                                     "stored (verified locally)" if proved else "none yet")
            return
        watch = getattr(self.session, "payment_watch", None)
        seen = watch.seen.get(r.order_id) if watch is not None else None
        if settled:
            self.paid_label.setText(f"received: the buyer's payment of {format_pkr(r.fiat_due)} PKR was proven on chain")
            self.proof_label.setText("verified on chain")
        elif seen is not None:
            self.paid_label.setText(f"received {format_pkr(seen.amount_paisa)} PKR from {seen.counterparty} "
                                    f"(payment {seen.payment_id}), as your rail statement shows")
            self.proof_label.setText("waiting for the buyer's proof")
        else:
            self.paid_label.setText("not received yet" if r.status == "Pending" else "not received before the deadline")
            self.proof_label.setText("none yet" if r.status == "Pending" else "-")

    def _card(self, r: MatchedOrderView, role: str, step: TradeStep) -> None:
        self.card.setVisible(r.status == "Pending" and role != Role.OBSERVER.value)
        reference = payment_reference(r.order_id)
        if role == "buyer":
            self.card.setTitle("Payment to make")
            payee = self.session.known_payee(r.order_id)
            pending = ("asking the payee directory..." if r.order_id in self.revealing
                       else self.reveal_errors.get(r.order_id, "not revealed yet"))
            self.card.set_payment(r.fiat_due, reference, payee and payee["display_name"],
                                  payee and payee["handle"], pending_text=pending)
        else:
            self.card.setTitle("Payment to expect on your rail account")
            self.card.set_payment(r.fiat_due, reference, pending_text="only the matched buyer learns the payee")

    # ------------------------------------------------------------------ actions
    def on_action(self, action: Action) -> None:
        {Action.PAY: self.on_pay, Action.PROVE: self.on_prove, Action.FINALIZE: self.on_finalize,
         Action.RECLAIM: self.on_reclaim}[action]()

    async def _run(self, order_id: int, what: str, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run `work()` for the order with its actions disabled; a refusal (the selected account
        is watch-only, the record moved, ...) becomes the view's message."""
        self.busy.add(order_id)
        self.update_details()
        try:
            return await work()
        except USER_ERRORS as exc:
            self.message.error(f"{what} #{order_id}: {exc}")
            return None
        finally:
            self.busy.discard(order_id)
            self.session.notes_changed()
            self.update_details()

    @action_slot()
    async def reveal(self, order_id: int) -> None:
        self.revealing.add(order_id)
        self.reveal_errors.pop(order_id, None)
        self.update_details()
        try:
            await self.session.directory()
            await self.session.settlement.payee(order_id)
        except USER_ERRORS as exc:
            self.reveal_errors[order_id] = f"not revealed: {exc}"
            return
        finally:
            self.revealing.discard(order_id)
            self.session.notes_changed()
            self.update_details()

    async def _confirmed(self, what: Confirmation) -> bool:
        if await self.session.confirm(self, what):
            return True
        self.message.info(CANCELLED)
        return False

    def _payee_details(self, order_id: int) -> Callable[[], Awaitable[Any]]:
        async def reveal() -> Any:
            await self.session.directory()
            return await self.session.settlement.payee(order_id)
        return reveal

    @action_slot()
    async def on_pay(self) -> None:
        r = self.selected()
        if r is None:
            return
        # the dialog names who is paid: learn the payee first (from the wallet's notes once revealed)
        details = await self._run(r.order_id, "pay", self._payee_details(r.order_id))
        if details is None:
            return
        to = f"{details.display_name} (Easypaisa {details.handle})"
        if not await self._confirmed(Confirmation(
                "Pay on the rail", f"Pay {format_pkr(r.fiat_due)} PKR",
                f"Pay {format_pkr(r.fiat_due)} PKR to {to} for matched order #{r.order_id}.",
                f"It buys {format_usdc(r.base_amount)} USDC at {format_pkr(r.price)} PKR per USDC. "
                "A rail payment cannot be called back.")):
            return
        async def pay():
            await self.session.directory()
            return await self.session.settlement.pay(r.order_id)
        out = await self._run(r.order_id, "pay", pay)
        if out is not None:
            self.message.info(f"paid {format_pkr(out.amount_paisa)} PKR to {out.payee_name} "
                              f"({out.payee}) for matched order #{r.order_id}")

    @action_slot()
    async def on_prove(self) -> None:
        r = self.selected()
        if r is None:
            return
        self.proving_order, self.prove_job = r.order_id, None
        self.progress.setValue(0)
        self.progress.setFormat(f"payment proof for #{r.order_id}: fetching the receipt...")
        try:
            proof = await self._run(r.order_id, "prove", lambda: self.session.settlement.prove(r.order_id))
        finally:
            self.proving_order = self.prove_job = None
            self.update_details()
        if proof is not None:
            self.message.info(f"payment proof for matched order #{r.order_id} ready; finalize to "
                              "release the escrow")

    async def choose_save_path(self, title: str, default_name: str) -> str | None:
        return await choose_save_path(self, title, default_name)

    @action_slot()
    async def on_export_request(self) -> None:
        r = self.selected()
        if r is None:
            return
        path = await self.choose_save_path("Export payment proof request", f"payment-request-{r.order_id}.json")
        if not path:
            return
        request = await self._run(r.order_id, "export request",
                                  lambda: self.session.settlement.payment_request(r.order_id))
        if request is None:
            return
        try:
            await asyncio.to_thread(ProofJobService.export_request, request, Path(path))
        except OSError as exc:
            self.message.error(f"request not written: {exc}")
            return
        self.message.info(f"wrote {path}: prove it offline with `anomi prove {path} -o PROOF.json`, "
                          "then import the proof in Proof jobs")

    def on_cancel_proof(self) -> None:
        if self.prove_job is not None:
            self.session.proofs.cancel(self.prove_job)
            self.message.info("cancelling the payment proof")

    @action_slot()
    async def on_finalize(self) -> None:
        r = self.selected()
        if r is None:
            return
        if not await self._confirmed(Confirmation(
                "Finalize", f"Release {format_usdc(r.base_amount)} USDC",
                f"Finalize matched order #{r.order_id}: release the {format_usdc(r.base_amount)} USDC "
                "escrow to your account.",
                f"Your payment proof for {format_pkr(r.fiat_due)} PKR is submitted on chain; "
                "the order is then settled for good.")):
            return
        out = await self._run(r.order_id, "finalize", lambda: self.session.settlement.finalize(r.order_id))
        if out is not None:
            self.message.info(f"finalized #{r.order_id}: {format_usdc(out.amount)} USDC released to you")
            self.bridge.statusMessage.emit(f"Matched order #{r.order_id} settled")

    @action_slot()
    async def on_reclaim(self) -> None:
        r = self.selected()
        if r is None:
            return
        mine = self.role(r) == "seller"
        if not await self._confirmed(Confirmation(
                "Reclaim escrow", f"Return {format_usdc(r.base_amount)} USDC",
                f"Return the {format_usdc(r.base_amount)} USDC escrow of expired matched order "
                f"#{r.order_id} to {'you' if mine else 'its seller'}.",
                "The buyer can no longer finalize it afterwards.")):
            return
        out = await self._run(r.order_id, "reclaim", lambda: self.session.settlement.reclaim(r.order_id))
        if out is not None:
            self.message.info(f"reclaimed {format_usdc(out.amount)} USDC for seller {out.seller}")

    # ------------------------------------------------------------------ proof progress
    def on_proof_queued(self, event: ProofQueued) -> None:
        if self.proving_order is not None and self.prove_job is None and event.circuit == "payment":
            self.prove_job = event.job_id
            self.update_details()

    def on_proof_progress(self, event: ProofProgress) -> None:
        if event.job_id == self.prove_job:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.index)
            self.progress.setFormat(f"payment proof: {event.stage} ({event.index}/{event.total})")

    def on_proof_finished(self, event: ProofFinished) -> None:
        if event.job_id == self.prove_job:
            if event.state == "done":
                self.progress.setValue(self.progress.maximum())
            self.progress.setFormat(f"payment proof: {event.state}")

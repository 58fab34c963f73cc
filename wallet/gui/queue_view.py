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

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
    QWidget)

from protocol.units import format_pkr, format_usdc
from wallet.core.amounts import format_amount
from wallet.core.market_client import MatchedOrderView
from wallet.core.market_service import QueueUpdated
from wallet.core.trade_steps import (
    LocalProgress, Phase, Role, TradeStep, format_left, payment_lines, payment_reference, role_of, trade_step)

from .bridge import CoreBridge
from .payment_card import PaymentCard
from .session import GuiSession
from .settle_actions import SettleActions
from .table_widgets import MessageLabel, fill_table, make_table, row_key, select_key, selected_key
from .trade_stepper import TradeStepper

HEADERS = ["#", "Role", "Status", "USDC", "Price (PKR/USDC)", "PKR due", "Time left"]
TIME_COLUMN = 6
__all__ = ["QueueView", "format_left"]
# while a payment is still to come: the payment card shows what to pay / to expect
OPEN_PHASES = frozenset({Phase.PAY, Phase.PROVE, Phase.FINALIZE, Phase.AWAITING_PAYMENT, Phase.AWAITING_PROOF})


def by_deadline(r: MatchedOrderView) -> tuple[int, int, int]:
    """Open records first, the nearest deadline on top; then finished ones, the latest first."""
    return (0, r.expires_at, r.order_id) if r.status == "Pending" else (1, -r.updated_at, -r.order_id)


class QueueView(SettleActions, QWidget):
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
        self.details_form = form
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
            self.export_button.setVisible(False)
            self.cancel_proof_button.setVisible(False)
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
        self.details_form.setRowVisible(self.progress, role == "buyer")   # only the buyer proves
        self.export_button.setEnabled(role == "buyer" and step.phase is Phase.PROVE and step.action_enabled)
        # secondary actions appear only where they apply (the buyer's prove step, a running proof)
        self.export_button.setVisible(role == "buyer" and step.phase is Phase.PROVE)
        self.cancel_proof_button.setVisible(self.prove_job is not None or self.proving_order == r.order_id)

    def _payment_lines(self, r: MatchedOrderView, role: str) -> None:
        watch = getattr(self.session, "payment_watch", None)
        lines = payment_lines(r, role, paid=self.session.paid(r.order_id), proved=self.session.has_proof(r.order_id),
                              seen=watch.seen.get(r.order_id) if watch is not None else None)
        self.paid_label.setText(lines.payment)
        self.proof_label.setText(lines.proof)

    def _card(self, r: MatchedOrderView, role: str, step: TradeStep) -> None:
        """The payment card while a payment is still to come (not for a finished or expired trade)."""
        self.card.setVisible(role != Role.OBSERVER.value and step.phase in OPEN_PHASES)
        reference = payment_reference(r.order_id)
        if role == "buyer":
            payee = self.session.known_payee(r.order_id)
            pending = ("asking the payee directory..." if r.order_id in self.revealing
                       else self.reveal_errors.get(r.order_id, "not revealed yet"))
            self.card.set_payment(r.fiat_due, reference, payee and payee["display_name"],
                                  payee and payee["handle"], pending_text=pending)
        else:
            handle = self.session.rail_note().get("handle")
            mine = f"your rail account {handle}" if handle else "your rail account"
            self.card.set_payment(r.fiat_due, reference, paying=False,
                                  pending_text=f"{mine} (only the matched buyer learns it)")

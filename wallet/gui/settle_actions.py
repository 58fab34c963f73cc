"""The settlement view's actions: pay, prove, export the proof request, finalize, reclaim.

Why apart from the view: queue_view.py lays out and refreshes the table, the stepper and the
payment card; this mixin holds what the buttons do. Each action is confirmed first in USDC and
PKR (confirm.py) when it moves funds, runs with the order marked busy (the stepper's primary
button is disabled meanwhile), and turns the core's refusal into the view's message. The core
re-checks every action with a fresh read, so a record that moved meanwhile is refused with the
program's named error, and nothing is sent.

The host class (QueueView) provides `session`, `bridge`, `message`, `progress`, `busy`,
`revealing`, `reveal_errors`, `prove_job`, `proving_order`, `selected()`, `role()` and
`update_details()`.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

from protocol.units import format_pkr, format_usdc
from wallet.core.file_words import describe_file_error
from wallet.core.proof_jobs import ProofFinished, ProofJobService, ProofProgress, ProofQueued
from wallet.core.trade_steps import Action

from .confirm import CANCELLED, Confirmation
from .file_choosers import choose_save_path
from .session import USER_ERRORS, action_slot


class SettleActions:
    # provided by the host view
    session: Any
    bridge: Any
    message: Any
    progress: Any
    busy: set[int]
    revealing: set[int]
    reveal_errors: dict[int, str]
    prove_job: int | None
    proving_order: int | None
    selected: Callable[[], Any]
    role: Callable[[Any], str]
    update_details: Callable[[], None]

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
            self.message.error(f"request not written: {describe_file_error(exc, path)}")
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

"""A proof's receipt: what it revealed on-chain and what stayed hidden, in words.

Why: "zero knowledge" means nothing to a trader until it is spelled out for their own proof.
The public inputs are exactly what the chain (and anyone reading it) learns: for a solvency
proof `[notaryKeyHash, walletHi, walletLo, min_timestamp, fiat_due, reserved, account_tag]`,
for a payment proof `[notaryKeyHash, order_ref, payee_commitment, fiat_due, matched_at,
nullifier]` (docs/protocol.md). Everything else the prover used (balance, rail account, payer,
the notary's signed attestation or receipt) never leaves this machine. The receipt is read off
the job's statement and proof, so it names what was proven, not what the wallet hoped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import time
from dataclasses import dataclass

from solders.pubkey import Pubkey

from protocol.units import format_pkr

from .proof_jobs import JobView

if TYPE_CHECKING:  # a receipt exists only once a proof was made: the prover is loaded by then
    from prover.statements import PaymentStatement, SolvencyStatement


@dataclass(frozen=True)
class ProofReceipt:
    job_id: int
    circuit: str
    status: str                 # "verified locally, not sent yet" or "submitted in transaction …"
    revealed: list[str]         # public inputs, in words
    hidden: list[str]           # what the proof kept private

    def text(self) -> str:
        return "\n".join([f"Receipt for proof job {self.job_id} ({self.circuit}): {self.status}",
                          "Revealed on-chain:", *(f"  • {r}" for r in self.revealed),
                          "Stayed hidden:", *(f"  • {h}" for h in self.hidden)])


def short(value: int | bytes) -> str:
    """A short reference instead of a 77-digit number: the first 8 hex digits."""
    raw = value if isinstance(value, bytes) else value.to_bytes(32, "big")
    return raw.hex()[:8] + "…"


def _when(unix: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(unix))


def _solvency(stmt: SolvencyStatement, notary: int) -> tuple[list[str], list[str]]:
    revealed = [
        f"a rail balance covers {format_pkr(stmt.fiat_due_paisa)} PKR due for this bid"
        + (f" on top of {format_pkr(stmt.reserved_paisa)} PKR already reserved" if stmt.reserved_paisa else ""),
        f"the bidder is wallet {Pubkey.from_bytes(stmt.wallet_pubkey)} (the proof works for no other)",
        f"the balance was attested at or after {_when(stmt.min_timestamp)}",
        f"rail account tag {short(stmt.account_tag)} (a one-way tag: it names no account)",
        f"notary key {short(notary)} (one the market registers)",
    ]
    hidden = ["your rail balance (only that it covers the amount)",
              "your rail account (handle and name)",
              "the notary's signed balance attestation"]
    return revealed, hidden


def _payment(stmt: PaymentStatement, notary: int, nullifier: int) -> tuple[list[str], list[str]]:
    revealed = [
        f"order #{stmt.order_id}, {format_pkr(stmt.fiat_due_paisa)} PKR due, reference {short(stmt.order_ref)}",
        f"paid to the seller's committed account {short(stmt.payee_commitment)}, "
        f"at or after the match ({_when(stmt.matched_at)})",
        f"payment tag {short(nullifier)} (spent once: the same payment settles no other order)",
        f"notary key {short(notary)} (one the market registers)",
    ]
    hidden = ["your balance and the exact amount paid (only that it is at least the fiat due)",
              "your rail account and the seller's (only a commitment to the seller's)",
              "the payer's identity",
              "the notary's signed payment receipt (its payment id and time)"]
    return revealed, hidden


def receipt_for(view: JobView) -> ProofReceipt | None:
    """The receipt of a finished job (None while it is not done)."""
    if view.state != "done" or view.proof is None or view.request is None:
        return None
    from prover.statements import PaymentStatement, SolvencyStatement  # loaded with the proof

    stmt, inputs = view.request.statement, view.proof.public_inputs
    if isinstance(stmt, SolvencyStatement):
        revealed, hidden = _solvency(stmt, inputs[0])
    elif isinstance(stmt, PaymentStatement):
        revealed, hidden = _payment(stmt, inputs[0], inputs[5])
    else:
        return None
    status = (f"submitted in transaction {view.submitted[:12]}…" if view.submitted
              else "verified locally, not sent yet")
    return ProofReceipt(view.job_id, view.circuit, status, revealed, hidden)

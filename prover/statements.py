"""What a proof claims, checked in Python before any proving, and the circuit inputs for it.

Why check first: a false statement must fail at once with the condition that failed ("balance is
below the fiat due"), not seconds later as an opaque witness error or an invalid proof. Each
check here mirrors one constraint group of the circuit (docs/circuits.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection

from protocol.attestation import (
    RECEIPT_VERSION, U64_MAX, AttestationError, SignedAttestation, SignedReceipt,
    notary_key_hash, order_reference, pubkey_to_fields, reservation_tag)
from protocol.poseidon import FIELD_MODULUS

from .circuits_registry import spec


class StatementError(ValueError):
    """The statement is false or malformed; the message names the failed condition."""


def _u64(name: str, v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= U64_MAX:
        raise StatementError(f"{name} must be an integer in 0..2^64-1, got {v!r}")
    return v


def _field(name: str, v: object, bound: int = FIELD_MODULUS) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < bound:
        raise StatementError(f"{name} is out of range: {v!r}")
    return v


@dataclass(frozen=True)
class SolvencyStatement:
    """"My bank balance covers `reserved_paisa` + `fiat_due_paisa`, attested no earlier than
    `min_timestamp`, for the wallet `wallet_pubkey`, from the rail account tagged `account_tag`".

    `reserved_paisa` is what the Market already holds reserved against `account_tag` (read from
    the reservation PDA just before proving); `account_tag` is
    `reservation_tag(attestation.account_commitment)` (`for_attestation` fills it in)."""

    wallet_pubkey: bytes
    fiat_due_paisa: int
    min_timestamp: int
    reserved_paisa: int
    account_tag: int

    @classmethod
    def for_attestation(cls, signed: SignedAttestation, fiat_due_paisa: int, min_timestamp: int,
                        reserved_paisa: int = 0) -> "SolvencyStatement":
        """The statement for this attestation's wallet and rail account."""
        att = signed.attestation
        return cls(bytes(att.wallet_pubkey), fiat_due_paisa, min_timestamp, reserved_paisa,
                   reservation_tag(att.account_commitment))


@dataclass(frozen=True)
class PaymentStatement:
    """"I paid at least `fiat_due_paisa` to `payee_commitment` at or after `matched_at`, for
    matched order `order_id` of `market`, bought by `buyer`".

    The circuit sees the order only as `order_ref` (one public input instead of five); the
    chain recomputes it from the MatchedOrder record, so the statement names the order exactly."""

    market: bytes
    order_id: int
    buyer: bytes
    payee_commitment: int
    fiat_due_paisa: int
    matched_at: int

    @property
    def order_ref(self) -> int:
        try:
            return order_reference(self.market, self.order_id, self.buyer)
        except AttestationError as exc:
            raise StatementError(f"the order is malformed: {exc}") from None


@dataclass(frozen=True)
class CircuitInputs:
    """Everything the prover needs: the named circuit inputs and the public ones in order."""

    circuit: str
    inputs: dict[str, int]
    public_inputs: tuple[int, ...]


def _check_notary(signed: SignedAttestation | SignedReceipt,
                  registered: Collection[int] | None) -> int:
    if not signed.verify():
        raise StatementError("notary signature is invalid")
    khash = notary_key_hash(signed.notary_public_key)
    if registered is not None and khash not in registered:
        raise StatementError("the notary key is not registered")
    return khash


def _signature_inputs(signed: SignedAttestation | SignedReceipt) -> dict[str, int]:
    ax, ay = signed.notary_public_key
    r8x, r8y, s = signed.signature
    return {"notaryAx": ax, "notaryAy": ay, "sigR8x": r8x, "sigR8y": r8y, "sigS": s}


def _ordered(circuit: str, inputs: dict[str, int]) -> CircuitInputs:
    names = spec(circuit).public_inputs
    return CircuitInputs(circuit, inputs, tuple(inputs[n] for n in names))


def solvency_public_inputs(stmt: SolvencyStatement, notary_hash: int) -> tuple[int, ...]:
    """The public inputs a verifier derives from the statement (no private data needed)."""
    try:
        hi, lo = pubkey_to_fields(stmt.wallet_pubkey)
    except AttestationError as exc:
        raise StatementError(str(exc)) from None
    return (_field("notary key hash", notary_hash), hi, lo,
            _u64("min_timestamp", stmt.min_timestamp), _u64("fiat_due", stmt.fiat_due_paisa),
            _u64("reserved", stmt.reserved_paisa), _field("account_tag", stmt.account_tag))


def payment_public_inputs(stmt: PaymentStatement, notary_hash: int,
                          nullifier: int) -> tuple[int, ...]:
    return (_field("notary key hash", notary_hash), stmt.order_ref,
            _field("payee_commitment", stmt.payee_commitment),
            _u64("fiat_due", stmt.fiat_due_paisa), _u64("matched_at", stmt.matched_at),
            _field("nullifier", nullifier))


def solvency_inputs(signed: SignedAttestation, stmt: SolvencyStatement,
                    registered_notaries: Collection[int] | None = None) -> CircuitInputs:
    """Check the solvency statement against the attestation and build the circuit inputs."""
    solvency_public_inputs(stmt, 0)  # ranges of the statement itself
    khash = _check_notary(signed, registered_notaries)
    att = signed.attestation
    if bytes(att.wallet_pubkey) != bytes(stmt.wallet_pubkey):
        raise StatementError("the attestation is bound to a different wallet")
    if att.timestamp < stmt.min_timestamp:
        raise StatementError("attestation is older than the time bound")
    if reservation_tag(att.account_commitment) != stmt.account_tag:
        raise StatementError("the attestation is for another rail account than the account tag")
    if att.balance_paisa < stmt.fiat_due_paisa:
        raise StatementError("balance is below the fiat due")
    if att.balance_paisa < stmt.reserved_paisa + stmt.fiat_due_paisa:
        raise StatementError(
            f"balance is below the fiat due plus what is already reserved ({stmt.reserved_paisa} paisa)")
    hi, lo = pubkey_to_fields(stmt.wallet_pubkey)
    inputs = {"notaryKeyHash": khash, "walletHi": hi, "walletLo": lo,
              "minTimestamp": stmt.min_timestamp, "fiatDue": stmt.fiat_due_paisa,
              "reservedSoFar": stmt.reserved_paisa, "accountTag": stmt.account_tag,
              "accountCommitment": att.account_commitment, "balance": att.balance_paisa,
              "timestamp": att.timestamp, **_signature_inputs(signed)}
    return _ordered("solvency", inputs)


def payment_inputs(signed: SignedReceipt, stmt: PaymentStatement,
                   registered_notaries: Collection[int] | None = None) -> CircuitInputs:
    """Check the payment statement against the receipt and build the circuit inputs."""
    payment_public_inputs(stmt, 0, 0)
    rc = signed.receipt
    if rc.version != RECEIPT_VERSION:
        raise StatementError(
            f"receipt format version {rc.version!r} is not accepted (this build proves version "
            f"{RECEIPT_VERSION}): a version 1 receipt binds no order, so it cannot settle one")
    khash = _check_notary(signed, registered_notaries)
    if rc.order_ref == 0:
        raise StatementError("the payment carries no order reference, so it settles no order "
                             "(pay with the order's reference)")
    if rc.order_ref != stmt.order_ref:
        raise StatementError("the receipt pays for another order: its signed reference does not "
                             "match this market, order id and buyer")
    if rc.payee_commitment != stmt.payee_commitment:
        raise StatementError("receipt payee does not match the order")
    if rc.amount_paisa < stmt.fiat_due_paisa:
        raise StatementError("receipt amount is below the fiat due")
    if rc.timestamp < stmt.matched_at:
        raise StatementError("the payment was made before the order was matched")
    inputs = {"notaryKeyHash": khash, "orderRef": rc.order_ref,
              "payeeCommitment": stmt.payee_commitment, "fiatDue": stmt.fiat_due_paisa,
              "matchedAt": stmt.matched_at, "nullifier": rc.nullifier(),
              "payerCommitment": rc.payer_commitment, "amount": rc.amount_paisa,
              "paymentId": rc.payment_id, "timestamp": rc.timestamp,
              **_signature_inputs(signed)}
    return _ordered("payment", inputs)


def sample_inputs(circuit: str) -> CircuitInputs:
    """A true statement under a throwaway notary key: used to self-test freshly set up or
    imported keys (a zkey for another circuit cannot produce a proof that verifies here)."""
    from protocol.attestation import (
        BalanceAttestation, PaymentReceipt, account_commitment, sign_balance_attestation,
        sign_payment_receipt)
    key = bytes(range(1, 33))
    wallet = bytes(range(32))
    payee = account_commitment("0345-1234567", 12345)
    if circuit == "solvency":
        att = BalanceAttestation(account_commitment("0300-7654321", 999), 10_000_00,
                                 1_700_000_000, wallet)
        signed = sign_balance_attestation(key, att)
        return solvency_inputs(signed, SolvencyStatement.for_attestation(signed, 5_000_00, 1_699_999_000, 1_000_00))
    spec(circuit)
    market, buyer = bytes(range(32, 64)), bytes(range(64, 96))
    stmt = PaymentStatement(market, 42, buyer, payee, 28_500_00, 1_700_000_000)
    rc = PaymentReceipt(account_commitment("0300-7654321", 999), payee, 28_500_00, 77,
                        1_700_000_100, stmt.order_ref)
    return payment_inputs(sign_payment_receipt(key, rc), stmt)

"""The notary's two signed formats: balance attestations (version 1) and payment receipts
(version 2: bound to one order by its reference).

Why here: the fiat-rail notary signs these, the prover turns them into circuit witnesses, and
the circuits recompute exactly `message()` below before checking the EdDSA-Poseidon signature,
so every mapping from a handle, a Solana key or an amount to field elements is fixed in this one
module (and described in docs/attestations.md). Everything signed is a Poseidon digest over a
domain tag, the format version and the record's fields, in the documented order.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from .eddsa_poseidon import babyjub_public_key, eddsa_poseidon_sign, eddsa_poseidon_verify
from .poseidon import FIELD_MODULUS, poseidon


def _tag(text: str) -> int:
    """A domain tag: the ASCII bytes of `text` read big-endian (always < 2^248)."""
    raw = text.encode("ascii")
    assert len(raw) <= 31
    return int.from_bytes(raw, "big")


DOMAIN_ACCOUNT = _tag("anomi.account")
DOMAIN_BALANCE = _tag("anomi.balance-attestation")
DOMAIN_RECEIPT = _tag("anomi.payment-receipt")
DOMAIN_RESERVATION = _tag("anomi.reservation")
DOMAIN_ORDER_REF = _tag("anomi.order-ref")

FORMAT_VERSION = 1
# Receipts are version 2: version 1 bound no order, so a receipt could settle any order paying
# the same payee (security issue 10, "payment redirection to a decoy order").
RECEIPT_VERSION = 2
U64_MAX = (1 << 64) - 1
PAYMENT_ID_BOUND = 1 << 248

BALANCE_TYPE = "anomi.balance-attestation"
RECEIPT_TYPE = "anomi.payment-receipt"

_HANDLE_RE = re.compile(r"^03\d{2}-\d{7}$")


class AttestationError(ValueError):
    """A malformed, out-of-range or unsupported attestation/receipt (message says which)."""


# ---------------------------------------------------------------- field-element mappings


def handle_to_field(handle: str) -> int:
    """An Easypaisa-style handle (`03`, 2 digits, `-`, 7 digits: `0345-1234567`) as the integer of its 11 digits.

    Example: "0345-1234567" -> 3451234567. The leading 0 is always there, so the map is
    one-to-one on valid handles.
    """
    if not isinstance(handle, str) or not _HANDLE_RE.match(handle):
        raise AttestationError(
            f"not a mobile account handle like 0345-1234567 (03, two digits, a dash, seven digits): {handle!r}")
    return int(handle.replace("-", ""))


def new_account_salt() -> int:
    """A uniformly random field element, the per-account salt a rail keeps secret."""
    return secrets.randbelow(FIELD_MODULUS)


def new_payment_id() -> int:
    """A random payment id below 2^248: random so that its public nullifier reveals nothing."""
    return secrets.randbelow(PAYMENT_ID_BOUND)


def _field(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < FIELD_MODULUS:
        raise AttestationError(f"{name} must be a field element (0 <= x < p), got {value!r}")
    return value


def _u64(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX:
        raise AttestationError(f"{name} must be an integer in 0..2^64-1, got {value!r}")
    return value


def account_commitment(handle: str, salt: int) -> int:
    """Hiding commitment to an account: Poseidon([DOMAIN_ACCOUNT, handle_field, salt]).

    A bare hash of a phone number could be brute-forced over ~10^9 handles in seconds; the
    random salt (known to the rail and the account owner only) makes it hiding.
    """
    return poseidon([DOMAIN_ACCOUNT, handle_to_field(handle), _field("salt", salt)])


def reservation_tag(commitment: int) -> int:
    """The public per-rail-account tag of the solvency proof: Poseidon([DOMAIN_RESERVATION, commitment]).

    Why: the Market keys the running total of fiat reserved by Pending matches on it, so one
    rail balance backs at most what it holds across all bids and wallets. It is a pseudonym of
    the account (the salted commitment stays hidden), but all bids of one account share it.
    """
    return poseidon([DOMAIN_RESERVATION, _field("account commitment", commitment)])


def pubkey_to_fields(pubkey: bytes) -> tuple[int, int]:
    """A 32-byte Solana public key as (high 128 bits, low 128 bits), each read big-endian."""
    try:
        raw = bytes(pubkey)  # bytes, bytearray or a solders Pubkey
    except TypeError:
        raise AttestationError(f"not a public key: {pubkey!r}") from None
    if len(raw) != 32:
        raise AttestationError(f"a Solana public key is 32 bytes, got {len(raw)}")
    return int.from_bytes(raw[:16], "big"), int.from_bytes(raw[16:], "big")


def notary_key_hash(public_key: tuple[int, int]) -> int:
    """Poseidon([Ax, Ay]): how the chain's registry and the circuits name a notary key."""
    ax, ay = public_key
    return poseidon([_field("notary Ax", ax), _field("notary Ay", ay)])


def order_reference(market: bytes, order_id: int, buyer: bytes) -> int:
    """The reference a buyer's rail transfer carries and the notary signs into its receipt:
    Poseidon([DOMAIN_ORDER_REF, marketHi, marketLo, order_id, buyerHi, buyerLo]).

    Why these three: a MatchedOrder is named by (market, order id) and the escrow is released
    only to its record's buyer, so a receipt carrying this reference proves a payment for that
    order alone, whoever holds the receipt (the payee sees it too) and whoever submits the
    proof. OrderProcessor.finalize_trade recomputes it from the record with the poseidon syscall.
    """
    m_hi, m_lo = pubkey_to_fields(market)
    b_hi, b_lo = pubkey_to_fields(buyer)
    return poseidon([DOMAIN_ORDER_REF, m_hi, m_lo, _u64("order_id", order_id), b_hi, b_lo])


def _check_version(version: Any, expected: int = FORMAT_VERSION) -> None:
    if version != expected or isinstance(version, bool):
        hint = ""
        if expected == RECEIPT_VERSION and version == 1:
            hint = ("; a version 1 receipt binds no order and can no longer settle one: "
                    "pay with the order's reference and fetch a version 2 receipt")
        raise AttestationError(
            f"unsupported format version {version!r} (this build understands {expected}){hint}")


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class BalanceAttestation:
    """"Account `account_commitment` held `balance_paisa` at `timestamp`, and its owner asked for
    this attestation for the Solana wallet `wallet_pubkey`"."""

    account_commitment: int
    balance_paisa: int
    timestamp: int
    wallet_pubkey: bytes
    version: int = FORMAT_VERSION

    def validate(self) -> None:
        _check_version(self.version)
        _field("account_commitment", self.account_commitment)
        _u64("balance_paisa", self.balance_paisa)
        _u64("timestamp", self.timestamp)
        pubkey_to_fields(self.wallet_pubkey)

    def fields(self) -> list[int]:
        """The signed field elements, in order (see docs/attestations.md)."""
        self.validate()
        hi, lo = pubkey_to_fields(self.wallet_pubkey)
        return [DOMAIN_BALANCE, self.version, self.account_commitment, self.balance_paisa,
                self.timestamp, hi, lo]

    def message(self) -> int:
        return poseidon(self.fields())


@dataclass(frozen=True)
class PaymentReceipt:
    """"`amount_paisa` moved from `payer_commitment` to `payee_commitment` at `timestamp`, as
    payment `payment_id`, with the payer's order reference `order_ref`" (0: no order named).

    `order_ref` is `order_reference(market, order_id, buyer)` of the order being paid; the
    payment circuit takes it as a public input that the chain recomputes from the record."""

    payer_commitment: int
    payee_commitment: int
    amount_paisa: int
    payment_id: int
    timestamp: int
    order_ref: int = 0
    version: int = RECEIPT_VERSION

    def validate(self) -> None:
        _check_version(self.version, RECEIPT_VERSION)
        _field("payer_commitment", self.payer_commitment)
        _field("payee_commitment", self.payee_commitment)
        _u64("amount_paisa", self.amount_paisa)
        if (not isinstance(self.payment_id, int) or isinstance(self.payment_id, bool)
                or not 0 <= self.payment_id < PAYMENT_ID_BOUND):
            raise AttestationError(f"payment_id must be an integer in 0..2^248-1, "
                                   f"got {self.payment_id!r}")
        _u64("timestamp", self.timestamp)
        _field("order_ref", self.order_ref)

    def fields(self) -> list[int]:
        self.validate()
        return [DOMAIN_RECEIPT, self.version, self.payer_commitment, self.payee_commitment,
                self.amount_paisa, self.payment_id, self.timestamp, self.order_ref]

    def message(self) -> int:
        return poseidon(self.fields())

    def nullifier(self) -> int:
        """Poseidon([payment_id]): public in the payment proof, spent once on-chain."""
        self.validate()
        return poseidon([self.payment_id])


# ---------------------------------------------------------------- signed envelopes (JSON)


def _dec(value: int) -> str:
    return str(value)


def _parse_dec(obj: dict, key: str, where: str) -> int:
    value = obj.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"0|[1-9]\d{0,77}", value):
        raise AttestationError(f"{where}.{key} must be a decimal string, got {value!r}")
    return int(value)


def _parse_int(obj: dict, key: str, where: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AttestationError(f"{where}.{key} must be an integer, got {value!r}")
    return value


def _load(data: str | bytes | dict, expected_type: str, keys: set[str],
          version: int = FORMAT_VERSION) -> dict:
    if isinstance(data, (str, bytes, bytearray)):
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AttestationError(f"not valid JSON: {exc}") from None
    else:
        obj = data
    if not isinstance(obj, dict):
        raise AttestationError("expected a JSON object")
    if obj.get("type") != expected_type:
        raise AttestationError(f"expected type {expected_type!r}, got {obj.get('type')!r}")
    _check_version(obj.get("version"), version)
    missing = keys - obj.keys()
    extra = obj.keys() - keys
    if missing:
        raise AttestationError(f"{expected_type}: missing field(s) {sorted(missing)}")
    if extra:
        raise AttestationError(f"{expected_type}: unknown field(s) {sorted(extra)}")
    return obj


def _parse_notary(obj: dict, where: str) -> tuple[int, int]:
    key = obj.get("notary_public_key")
    if not isinstance(key, dict) or set(key) != {"x", "y"}:
        raise AttestationError(f"{where}.notary_public_key must be {{\"x\": ..., \"y\": ...}}")
    return _parse_dec(key, "x", where + ".notary_public_key"), _parse_dec(
        key, "y", where + ".notary_public_key")


def _parse_signature(obj: dict, where: str) -> tuple[int, int, int]:
    sig = obj.get("signature")
    if not isinstance(sig, dict) or set(sig) != {"R8x", "R8y", "S"}:
        raise AttestationError(f"{where}.signature must be {{\"R8x\", \"R8y\", \"S\"}}")
    w = where + ".signature"
    return _parse_dec(sig, "R8x", w), _parse_dec(sig, "R8y", w), _parse_dec(sig, "S", w)


def _envelope(type_: str, body: dict, notary: tuple[int, int],
              sig: tuple[int, int, int], version: int = FORMAT_VERSION) -> dict:
    return {"type": type_, "version": version, **body,
            "notary_public_key": {"x": _dec(notary[0]), "y": _dec(notary[1])},
            "signature": {"R8x": _dec(sig[0]), "R8y": _dec(sig[1]), "S": _dec(sig[2])}}


_BAL_KEYS = {"type", "version", "account_commitment", "balance_paisa", "timestamp",
             "wallet_pubkey", "notary_public_key", "signature"}
_RCPT_KEYS = {"type", "version", "payer_commitment", "payee_commitment", "amount_paisa",
              "payment_id", "timestamp", "order_ref", "notary_public_key", "signature"}


@dataclass(frozen=True)
class SignedAttestation:
    attestation: BalanceAttestation
    notary_public_key: tuple[int, int]
    signature: tuple[int, int, int]

    def verify(self) -> bool:
        """Signature check only; whether the notary is trusted is the registry's question."""
        try:
            msg = self.attestation.message()
        except AttestationError:
            return False
        return eddsa_poseidon_verify(self.notary_public_key, msg, self.signature)

    def to_dict(self) -> dict:
        a = self.attestation
        a.validate()
        body = {"account_commitment": _dec(a.account_commitment),
                "balance_paisa": a.balance_paisa, "timestamp": a.timestamp,
                "wallet_pubkey": str(Pubkey.from_bytes(bytes(a.wallet_pubkey)))}
        return _envelope(BALANCE_TYPE, body, self.notary_public_key, self.signature)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, data: str | bytes | dict) -> "SignedAttestation":
        """Parse strictly: exact key set, types and ranges checked (signature NOT checked)."""
        obj = _load(data, BALANCE_TYPE, _BAL_KEYS)
        w = BALANCE_TYPE
        wallet = obj.get("wallet_pubkey")
        try:
            if not isinstance(wallet, str) or not 32 <= len(wallet) <= 44:
                raise ValueError
            wallet_bytes = bytes(Pubkey.from_string(wallet))
        except ValueError:
            raise AttestationError(
                f"{w}.wallet_pubkey must be a base58 Solana public key, got {wallet!r}") from None
        att = BalanceAttestation(
            account_commitment=_parse_dec(obj, "account_commitment", w),
            balance_paisa=_parse_int(obj, "balance_paisa", w),
            timestamp=_parse_int(obj, "timestamp", w),
            wallet_pubkey=wallet_bytes, version=obj["version"])
        att.validate()
        return cls(att, _parse_notary(obj, w), _parse_signature(obj, w))


@dataclass(frozen=True)
class SignedReceipt:
    receipt: PaymentReceipt
    notary_public_key: tuple[int, int]
    signature: tuple[int, int, int]

    def verify(self) -> bool:
        try:
            msg = self.receipt.message()
        except AttestationError:
            return False
        return eddsa_poseidon_verify(self.notary_public_key, msg, self.signature)

    def to_dict(self) -> dict:
        r = self.receipt
        r.validate()
        body = {"payer_commitment": _dec(r.payer_commitment),
                "payee_commitment": _dec(r.payee_commitment), "amount_paisa": r.amount_paisa,
                "payment_id": _dec(r.payment_id), "timestamp": r.timestamp,
                "order_ref": _dec(r.order_ref)}
        return _envelope(RECEIPT_TYPE, body, self.notary_public_key, self.signature,
                         RECEIPT_VERSION)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, data: str | bytes | dict) -> "SignedReceipt":
        obj = _load(data, RECEIPT_TYPE, _RCPT_KEYS, RECEIPT_VERSION)
        w = RECEIPT_TYPE
        rc = PaymentReceipt(
            payer_commitment=_parse_dec(obj, "payer_commitment", w),
            payee_commitment=_parse_dec(obj, "payee_commitment", w),
            amount_paisa=_parse_int(obj, "amount_paisa", w),
            payment_id=_parse_dec(obj, "payment_id", w),
            timestamp=_parse_int(obj, "timestamp", w),
            order_ref=_parse_dec(obj, "order_ref", w), version=obj["version"])
        rc.validate()
        return cls(rc, _parse_notary(obj, w), _parse_signature(obj, w))


def sign_balance_attestation(notary_private_key: bytes,
                             att: BalanceAttestation) -> SignedAttestation:
    return SignedAttestation(att, babyjub_public_key(notary_private_key),
                             eddsa_poseidon_sign(notary_private_key, att.message()))


def sign_payment_receipt(notary_private_key: bytes, receipt: PaymentReceipt) -> SignedReceipt:
    return SignedReceipt(receipt, babyjub_public_key(notary_private_key),
                         eddsa_poseidon_sign(notary_private_key, receipt.message()))

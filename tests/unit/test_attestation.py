"""Attestation/receipt formats: mappings, signing, strict JSON, tamper detection."""
from __future__ import annotations

import json
import os

import pytest

from protocol import poseidon
from protocol.attestation import (
    DOMAIN_ACCOUNT, DOMAIN_BALANCE, DOMAIN_ORDER_REF, DOMAIN_RECEIPT, AttestationError,
    BalanceAttestation, PaymentReceipt, SignedAttestation, SignedReceipt, account_commitment,
    handle_to_field, new_account_salt, notary_key_hash, order_reference, pubkey_to_fields,
    sign_balance_attestation, sign_payment_receipt)

KEY = bytes(range(32))
WALLET = bytes(range(100, 132))


def _att(**kw) -> BalanceAttestation:
    base = dict(account_commitment=account_commitment("0345-1234567", 42),
                balance_paisa=5_000_000, timestamp=1_700_000_000, wallet_pubkey=WALLET)
    base.update(kw)
    return BalanceAttestation(**base)


def _rcpt(**kw) -> PaymentReceipt:
    base = dict(payer_commitment=11, payee_commitment=22, amount_paisa=2_850_000,
                payment_id=2**247 + 5, timestamp=1_700_000_100, order_ref=33)
    base.update(kw)
    return PaymentReceipt(**base)


def test_mappings() -> None:
    assert handle_to_field("0345-1234567") == 3451234567
    for bad in ("345-1234567", "0345-123456", "03451234567", "0445-1234567", " 0345-1234567", 5):
        with pytest.raises(AttestationError):
            handle_to_field(bad)  # type: ignore[arg-type]
    assert DOMAIN_ACCOUNT == int.from_bytes(b"anomi.account", "big")
    assert account_commitment("0345-1234567", 7) == poseidon([DOMAIN_ACCOUNT, 3451234567, 7])
    assert account_commitment("0345-1234567", 7) != account_commitment("0345-1234567", 8)
    assert pubkey_to_fields(bytes(16) + b"\x01" + bytes(15)) == (0, 1 << 120)
    with pytest.raises(AttestationError):
        pubkey_to_fields(bytes(31))
    assert 0 <= new_account_salt() < 2**254


def test_messages_follow_the_documented_order() -> None:
    a = _att()
    hi, lo = pubkey_to_fields(WALLET)
    assert a.message() == poseidon([DOMAIN_BALANCE, 1, a.account_commitment, 5_000_000,
                                    1_700_000_000, hi, lo])
    r = _rcpt()
    assert r.message() == poseidon([DOMAIN_RECEIPT, 2, 11, 22, 2_850_000, 2**247 + 5,
                                    1_700_000_100, 33])
    assert r.nullifier() == poseidon([2**247 + 5])


MARKET = bytes(range(1, 33))
BUYER = bytes(range(200, 232))


def test_order_reference_binds_market_order_and_buyer() -> None:
    m_hi, m_lo = pubkey_to_fields(MARKET)
    b_hi, b_lo = pubkey_to_fields(BUYER)
    ref = order_reference(MARKET, 7, BUYER)
    assert DOMAIN_ORDER_REF == int.from_bytes(b"anomi.order-ref", "big")
    assert ref == poseidon([DOMAIN_ORDER_REF, m_hi, m_lo, 7, b_hi, b_lo])
    others = {order_reference(MARKET, 8, BUYER), order_reference(BUYER, 7, BUYER),
              order_reference(MARKET, 7, MARKET), order_reference(BUYER, 7, MARKET)}
    assert ref not in others and len(others) == 4
    for bad in (dict(order_id=-1), dict(order_id=2**64), dict(market=bytes(31))):
        args = dict(market=MARKET, order_id=7, buyer=BUYER) | bad
        with pytest.raises(AttestationError):
            order_reference(**args)


def test_receipt_signs_the_order_reference_and_refuses_version_1() -> None:
    sr = sign_payment_receipt(KEY, _rcpt())
    obj = json.loads(sr.to_json())
    assert obj["version"] == 2 and obj["order_ref"] == "33"
    obj["order_ref"] = "34"  # the same receipt claimed for another order
    assert not SignedReceipt.from_json(obj).verify()
    old = json.loads(sr.to_json())
    old["version"] = 1
    del old["order_ref"]
    with pytest.raises(AttestationError, match="version 1 receipt binds no order"):
        SignedReceipt.from_json(old)
    with pytest.raises(AttestationError, match="version"):
        _rcpt(version=1).message()
    for bad in ("-1", "0x21", str(2**254), 33):
        obj["order_ref"] = bad
        with pytest.raises(AttestationError, match="order_ref"):
            SignedReceipt.from_json(obj)


def test_sign_verify_roundtrip_and_tamper() -> None:
    sa = sign_balance_attestation(KEY, _att())
    assert sa.verify()
    back = SignedAttestation.from_json(sa.to_json())
    assert back == sa and back.verify()
    obj = json.loads(sa.to_json())
    obj["balance_paisa"] += 1
    assert not SignedAttestation.from_json(obj).verify()
    sr = sign_payment_receipt(KEY, _rcpt())
    assert SignedReceipt.from_json(sr.to_json()).verify()
    obj = json.loads(sr.to_json())
    obj["payee_commitment"] = "23"
    assert not SignedReceipt.from_json(obj).verify()
    other = sign_payment_receipt(os.urandom(32), _rcpt())
    assert other.verify() and other.notary_public_key != sr.notary_public_key
    assert notary_key_hash(sr.notary_public_key) == poseidon(list(sr.notary_public_key))


@pytest.mark.parametrize("mutate, needle", [
    (lambda o: o.update(version=2), "version"),
    (lambda o: o.update(type="anomi.payment-receipt", version=2), "type"),
    (lambda o: o.update(type="anomi.payment-receipt"), "type"),
    (lambda o: o.pop("timestamp"), "missing"),
    (lambda o: o.update(extra=1), "unknown"),
    (lambda o: o.update(balance_paisa=-1), "balance_paisa"),
    (lambda o: o.update(balance_paisa=2**64), "balance_paisa"),
    (lambda o: o.update(balance_paisa="5"), "balance_paisa"),
    (lambda o: o.update(account_commitment="0x12"), "account_commitment"),
    (lambda o: o.update(account_commitment=str(2**254)), "account_commitment"),
    (lambda o: o.update(wallet_pubkey="not-a-key"), "wallet_pubkey"),
    (lambda o: o.update(signature={"R8x": "1"}), "signature"),
    (lambda o: o.update(notary_public_key=["1", "2"]), "notary_public_key"),
])
def test_strict_parsing_names_the_problem(mutate, needle) -> None:
    obj = json.loads(sign_balance_attestation(KEY, _att()).to_json())
    mutate(obj)
    with pytest.raises(AttestationError, match=needle):
        SignedAttestation.from_json(json.dumps(obj))


def test_receipt_ranges_and_garbage() -> None:
    for bad in (dict(payment_id=2**248), dict(amount_paisa=-1), dict(timestamp=2**64)):
        with pytest.raises(AttestationError):
            _rcpt(**bad).message()
    for junk in ("{", "[]", b"\xff", "null"):
        with pytest.raises(AttestationError):
            SignedReceipt.from_json(junk)

"""The single-node MXE's encrypted execution of seed 003's four instructions (no cluster needed)."""
from __future__ import annotations

import os

import pytest
from solders.pubkey import Pubkey

from localnet.mxe import circuits
from localnet.mxe.executor import ComputationRejected, MxeKeys, execute
from protocol import arcium_encoding as enc
from protocol import otc_codec as otc
from protocol.x25519 import x25519_public_key

P1 = otc.PRICE_ONE


class Party:
    def __init__(self) -> None:
        self.secret = os.urandom(32)
        self.public = x25519_public_key(self.secret)


@pytest.fixture(scope="module")
def keys() -> MxeKeys:
    return MxeKeys(os.urandom(32))


def _account_with_state(offset: int, size: int, state: bytes) -> bytes:
    data = bytearray(size)
    data[offset:offset + len(state)] = state
    return bytes(data)


def _create(keys, creator, amount, price):
    nonce = otc.random_nonce()
    cts = otc.encrypt_for_mxe(creator.secret, keys.x25519_public, otc.DEAL_INPUT, [amount, price], nonce)
    out = execute("create_deal", otc.create_deal_arguments(creator.public, nonce, cts[0], cts[1]), lambda k: None, keys)
    state, sealed = otc.split_output("create_deal", out)
    return state, sealed


def test_full_flow_fifo_and_sealing(keys):
    creator = Party()
    deal_key = Pubkey.new_unique()
    state, sealed = _create(keys, creator, 1000, P1 * 2)
    assert sealed.encryption_key == creator.public
    assert sealed.open(creator.secret, keys.x25519_public, otc.DEAL_CREATED_BLOB) == [1000, P1 * 2]
    offers = [(P1 * 3, 300), (P1, 500), (P1 * 2, 400), (P1 * 2, 200), (P1 * 5, 250)]
    expected_fill = [300, 0, 400, 200, 100]
    offer_states = []
    for (price, amount), want in zip(offers, expected_fill):
        offeror = Party()
        deal_data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
        nonce = otc.random_nonce()
        cts = otc.encrypt_for_mxe(offeror.secret, keys.x25519_public, otc.OFFER_INPUT, [price, amount], nonce)
        args = otc.submit_offer_arguments(deal_key, offeror.public, nonce, cts[0], cts[1])
        out = execute("submit_offer", args, lambda k: deal_data if k == deal_key else None, keys)
        new_state, offer_state, sealed = otc.split_output("submit_offer", out)
        assert new_state.nonce != state.nonce  # fresh nonce every time
        assert sealed.open(offeror.secret, keys.x25519_public, otc.OFFER_CREATED_BLOB) == [price, amount]
        with pytest.raises(ValueError):  # the creator cannot open the offeror's blob
            sealed.open(creator.secret, keys.x25519_public, otc.OFFER_CREATED_BLOB)
        state = new_state
        offer_states.append((offeror, offer_state, want, amount))
    # crank the deal before expiry: fully filled -> EXECUTED
    deal_data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
    out = execute("crank_deal", otc.crank_deal_arguments(deal_key, creator.public, 7, False, False),
                  lambda k: deal_data, keys)
    sealed, status = otc.split_output("crank_deal", out)
    assert status == circuits.STATUS_EXECUTED
    assert sealed.open(creator.secret, keys.x25519_public, otc.DEAL_SETTLED_BLOB) == [1000, 2000, 0]
    for offeror, offer_state, want, amount in offer_states:
        offer_key = Pubkey.new_unique()
        data = _account_with_state(otc.OFFER_STATE_OFFSET, otc.OFFER_ACCOUNT_SIZE, offer_state.to_bytes())
        out = execute("crank_offer", otc.crank_offer_arguments(offer_key, offeror.public, 1, True), lambda k: data, keys)
        (sealed,) = otc.split_output("crank_offer", out)
        outcome = 2 if want == 0 else (1 if want < amount else 0)
        assert sealed.open(offeror.secret, keys.x25519_public, otc.OFFER_SETTLED_BLOB) == [outcome, want, amount - want]


def test_tampered_ciphertext_rejected(keys):
    creator = Party()
    nonce = otc.random_nonce()
    cts = otc.encrypt_for_mxe(creator.secret, keys.x25519_public, otc.DEAL_INPUT, [5, P1], nonce)
    tampered = bytearray(cts[0])
    tampered[20] ^= 0x10  # ±2^164: never a u64 (a low-bit flip would go unnoticed: CTR has no MAC)
    with pytest.raises(ComputationRejected):
        execute("create_deal", otc.create_deal_arguments(creator.public, nonce, bytes(tampered), cts[1]),
                lambda k: None, keys)
    noncanonical = (enc.P + 1).to_bytes(32, "little")
    with pytest.raises(ComputationRejected, match="non-canonical"):
        execute("create_deal", otc.create_deal_arguments(creator.public, nonce, noncanonical, cts[1]),
                lambda k: None, keys)


def test_wrong_argument_kinds_and_low_order_key_rejected(keys):
    args = otc.create_deal_arguments(bytes(32), 1, bytes(32), bytes(32))
    with pytest.raises(ComputationRejected):
        execute("create_deal", args, lambda k: None, keys)  # all-zero key: low order
    with pytest.raises(ComputationRejected, match="argument kinds"):
        execute("create_deal", args[:-1], lambda k: None, keys)
    with pytest.raises(ComputationRejected, match="does not exist"):
        execute("crank_deal", otc.crank_deal_arguments(Pubkey.new_unique(), Party().public, 1, True, True),
                lambda k: None, keys)


def test_state_from_another_mxe_rejected(keys):
    other = MxeKeys(os.urandom(32))
    state, _ = _create(other, Party(), 10, P1)
    data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
    with pytest.raises(ComputationRejected, match="does not decrypt"):
        execute("crank_deal", otc.crank_deal_arguments(Pubkey.new_unique(), Party().public, 1, True, True),
                lambda k: data, keys)


@pytest.mark.parametrize("fill,expired,partial,want", [
    (0, False, True, ((0, 0, 0), 0)),            # early crank, not filled: no-op
    (50, False, True, ((0, 0, 0), 0)),
    (100, False, False, ((100, 150, 0), 1)),     # full fill early: executes
    (50, True, True, ((50, 75, 50), 1)),         # partial allowed at expiry
    (50, True, False, ((0, 0, 100), 2)),         # partial not allowed: expired
    (0, True, True, ((0, 0, 100), 2)),
])
def test_crank_deal_logic(fill, expired, partial, want):
    deal = circuits.DealState(100, P1 + P1 // 2, fill)
    assert circuits.crank_deal(deal, expired, partial) == want

"""The single-node MXE's encrypted execution of seed 003's four instructions (no cluster needed),
and the bindings it checks (protocol/otc_binding.py): copied inputs, copied state, sealed nonces."""
from __future__ import annotations

import os

import pytest
from solders.pubkey import Pubkey

from localnet.mxe import circuits
from localnet.mxe.executor import ComputationRejected, MxeKeys, Placement, execute
from protocol import arcium_encoding as enc
from protocol import otc_binding
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


PAYER = Pubkey.new_unique()


def _at(*accounts: Pubkey, payer: Pubkey = PAYER) -> Placement:
    """A computation queued by ``payer`` for ``accounts`` (deal, then offer)."""
    return Placement(Pubkey.new_unique(), payer, tuple(accounts))


def _create_args(keys, creator, deal_key, amount, price, payer=PAYER):
    bound = otc.deal_input(creator.secret, keys.x25519_public, payer, deal_key, amount, price)
    return otc.create_deal_arguments(creator.public, bound.nonce, *bound.ciphertexts, bound.nonce_salt)


def _create(keys, creator, amount, price, deal_key=None):
    deal_key = deal_key or Pubkey.new_unique()
    place = _at(deal_key)
    out = execute("create_deal", _create_args(keys, creator, deal_key, amount, price), lambda k: None, keys, place)
    state, sealed = otc.split_output("create_deal", out)
    assert sealed.nonce == otc_binding.sealed_nonce("create_deal", deal_key, place.computation)
    return state, sealed


def test_full_flow_fifo_and_sealing(keys):
    creator = Party()
    deal_key = Pubkey.new_unique()
    state, sealed = _create(keys, creator, 1000, P1 * 2, deal_key)
    assert sealed.encryption_key == creator.public
    assert sealed.open(creator.secret, keys.x25519_public, otc.DEAL_CREATED_BLOB) == [1000, P1 * 2]
    offers = [(P1 * 3, 300), (P1, 500), (P1 * 2, 400), (P1 * 2, 200), (P1 * 5, 250)]
    expected_fill = [300, 0, 400, 200, 100]
    offer_states = []
    for (price, amount), want in zip(offers, expected_fill):
        offeror = Party()
        deal_data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
        offer_key = Pubkey.new_unique()
        bound = otc.offer_input(offeror.secret, keys.x25519_public, PAYER, offer_key, price, amount)
        args = otc.submit_offer_arguments(deal_key, offeror.public, bound.nonce, *bound.ciphertexts, bound.nonce_salt)
        out = execute("submit_offer", args, lambda k: deal_data if k == deal_key else None, keys,
                      _at(deal_key, offer_key))
        new_state, offer_state, sealed = otc.split_output("submit_offer", out)
        assert new_state.nonce != state.nonce  # fresh nonce every time
        assert sealed.open(offeror.secret, keys.x25519_public, otc.OFFER_CREATED_BLOB) == [price, amount]
        with pytest.raises(ValueError):  # the creator cannot open the offeror's blob
            sealed.open(creator.secret, keys.x25519_public, otc.OFFER_CREATED_BLOB)
        state = new_state
        offer_states.append((offeror, offer_key, offer_state, want, amount))
    # crank the deal before expiry: fully filled -> EXECUTED
    deal_data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
    out = execute("crank_deal", otc.crank_deal_arguments(deal_key, creator.public, 7, False, False),
                  lambda k: deal_data, keys, _at(deal_key))
    sealed, status = otc.split_output("crank_deal", out)
    assert status == circuits.STATUS_EXECUTED
    assert sealed.open(creator.secret, keys.x25519_public, otc.DEAL_SETTLED_BLOB) == [1000, 2000, 0]
    for offeror, offer_key, offer_state, want, amount in offer_states:
        data = _account_with_state(otc.OFFER_STATE_OFFSET, otc.OFFER_ACCOUNT_SIZE, offer_state.to_bytes())
        out = execute("crank_offer", otc.crank_offer_arguments(offer_key, offeror.public, 1, True), lambda k: data,
                      keys, _at(deal_key, offer_key))
        (sealed,) = otc.split_output("crank_offer", out)
        outcome = 2 if want == 0 else (1 if want < amount else 0)
        assert sealed.open(offeror.secret, keys.x25519_public, otc.OFFER_SETTLED_BLOB) == [outcome, want, amount - want]


def test_tampered_ciphertext_rejected(keys):
    creator = Party()
    deal_key = Pubkey.new_unique()
    bound = otc.deal_input(creator.secret, keys.x25519_public, PAYER, deal_key, 5, P1)
    cts = bound.ciphertexts
    tampered = bytearray(cts[0])
    tampered[20] ^= 0x10  # ±2^164: never a u64 (a low-bit flip would go unnoticed: CTR has no MAC)
    with pytest.raises(ComputationRejected):
        execute("create_deal", otc.create_deal_arguments(creator.public, bound.nonce, bytes(tampered), cts[1],
                                                         bound.nonce_salt), lambda k: None, keys, _at(deal_key))
    noncanonical = (enc.P + 1).to_bytes(32, "little")
    with pytest.raises(ComputationRejected, match="non-canonical"):
        execute("create_deal", otc.create_deal_arguments(creator.public, bound.nonce, noncanonical, cts[1],
                                                         bound.nonce_salt), lambda k: None, keys, _at(deal_key))


def test_wrong_argument_kinds_and_low_order_key_rejected(keys):
    deal_key = Pubkey.new_unique()
    salt = 5
    nonce = otc_binding.input_nonce("create_deal", PAYER, deal_key, bytes(32), salt)
    args = otc.create_deal_arguments(bytes(32), nonce, bytes(32), bytes(32), salt)
    with pytest.raises(ComputationRejected, match="encrypted input rejected"):
        execute("create_deal", args, lambda k: None, keys, _at(deal_key))  # all-zero key: low order
    with pytest.raises(ComputationRejected, match="argument kinds"):
        execute("create_deal", args[:-1], lambda k: None, keys, _at(deal_key))
    with pytest.raises(ComputationRejected, match="does not exist"):
        execute("crank_deal", otc.crank_deal_arguments(Pubkey.new_unique(), Party().public, 1, True, True),
                lambda k: None, keys, _at(Pubkey.new_unique()))


def test_state_from_another_mxe_rejected(keys):
    other = MxeKeys(os.urandom(32))
    deal_key = Pubkey.new_unique()
    state, _ = _create(other, Party(), 10, P1, deal_key)
    data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
    with pytest.raises(ComputationRejected, match="does not decrypt"):
        execute("crank_deal", otc.crank_deal_arguments(deal_key, Party().public, 1, True, True),
                lambda k: data, keys, _at(deal_key))


# -- bindings -----------------------------------------------------------------------------
def test_copied_input_is_refused_before_decryption(keys):
    """The audit's replay: the victim's create_deal tuple queued for another deal, another payer,
    or with the nonce re-derived for the thief (then the ciphertexts decrypt to unrelated values)."""
    victim, thief_payer = Party(), Pubkey.new_unique()
    victim_deal, thief_deal = Pubkey.new_unique(), Pubkey.new_unique()
    args = _create_args(keys, victim, victim_deal, 1000, 2 * P1)
    execute("create_deal", args, lambda k: None, keys, _at(victim_deal))   # where it belongs: fine
    for place in (_at(thief_deal), _at(victim_deal, payer=thief_payer), _at(thief_deal, payer=thief_payer)):
        with pytest.raises(ComputationRejected, match="not bound"):
            execute("create_deal", args, lambda k: None, keys, place)
    # the thief binds a fresh nonce to its own deal and keeps the victim's ciphertexts
    salt = 9
    rebound = [*args]
    rebound[1] = rebound[5] = {"PlaintextU128": [otc_binding.input_nonce("create_deal", thief_payer, thief_deal,
                                                                         victim.public, salt)]}
    rebound[6] = {"PlaintextU128": [salt]}
    with pytest.raises(ComputationRejected, match="encrypted input rejected"):
        execute("create_deal", rebound, lambda k: None, keys, _at(thief_deal, payer=thief_payer))


def test_copied_state_is_refused(keys):
    """A deal's Enc<Mxe> state read from another account (copied bytes), or read as an offer's."""
    creator = Party()
    deal_key, copy_key, offer_key = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    state, _ = _create(keys, creator, 100, P1 // 2, deal_key)   # every element also fits an OfferState's
    deal_data = _account_with_state(otc.DEAL_STATE_OFFSET, otc.DEAL_ACCOUNT_SIZE, state.to_bytes())
    execute("crank_deal", otc.crank_deal_arguments(deal_key, creator.public, 1, True, True),
            lambda k: deal_data, keys, _at(deal_key))
    with pytest.raises(ComputationRejected, match="not bound to that account"):
        execute("crank_deal", otc.crank_deal_arguments(copy_key, creator.public, 1, True, True),
                lambda k: deal_data, keys, _at(copy_key))
    offer_data = _account_with_state(otc.OFFER_STATE_OFFSET, otc.OFFER_ACCOUNT_SIZE, state.to_bytes())
    with pytest.raises(ComputationRejected, match="not bound to that account"):
        execute("crank_offer", otc.crank_offer_arguments(deal_key, creator.public, 1, True),
                lambda k: offer_data, keys, _at(offer_key, deal_key))
    # the right state, but the result would be written to another account
    with pytest.raises(ComputationRejected, match="written to"):
        execute("crank_deal", otc.crank_deal_arguments(deal_key, creator.public, 1, True, True),
                lambda k: deal_data, keys, _at(copy_key))


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

"""Seed 003 on the in-process Bank: every instruction, constraint and state transition.

The MXE node's steps run inline (same worker functions as the node process); the integration
tests repeat the main scenarios against a real localnet and a real node process.
"""
from __future__ import annotations

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from localnet.bank import Bank
from tests.unit.otc_bank_harness import OtcBank, Party
from protocol import otc_codec as otc
from protocol.arcium_codec import ARCIUM_IDL

P1 = otc.PRICE_ONE
ERR = otc.OTC_IDL.error_code


@pytest.fixture(scope="module")
def h(tmp_path_factory) -> OtcBank:
    bank = Bank(tmp_path_factory.mktemp("otc-ledger"))
    yield OtcBank(bank)
    bank.close()


def _open_deal(h, amount=1000, price=2 * P1, **kw):
    creator = Party()
    h.fund(creator)
    deal, res = h.create_deal(creator, amount, price, **kw)
    assert res.err is None, res.logs
    (cb,) = h.run_node()
    assert cb.err is None, cb.logs
    blob = otc.sealed_event_blob(h.sealed_event([cb], "DealCreated"), 2)
    assert blob.open(creator.secret, h.mxe_pub, otc.DEAL_CREATED_BLOB) == [amount, price]
    assert h.deal(deal)["state_ready"] and h.deal(deal)["created_at"] > 0
    return creator, deal


def _offer(h, deal, price, amount, **kw):
    offeror = Party()
    h.fund(offeror)
    offer, res = h.submit_offer(offeror, deal, price, amount, **kw)
    assert res.err is None, res.logs
    (cb,) = h.run_node()
    assert cb.err is None, cb.logs
    return offeror, offer, cb


def _settle_offer(h, deal, offeror, offer):
    res = h.crank_offer(offeror, deal, offer, offeror.x25519)
    assert res.err is None, res.logs
    (cb,) = h.run_node()
    assert cb.err is None, cb.logs
    blob = otc.sealed_event_blob(h.sealed_event([cb], "OfferSettled"), 3)
    return blob.open(offeror.secret, h.mxe_pub, otc.OFFER_SETTLED_BLOB), blob


def test_full_fill_then_early_crank_by_controller(h):
    creator, deal = _open_deal(h, 1000, 2 * P1)
    offeror, offer, cb = _offer(h, deal, 3 * P1, 1000)
    created = otc.sealed_event_blob(h.sealed_event([cb], "OfferCreated"), 2)
    assert created.open(offeror.secret, h.mxe_pub, otc.OFFER_CREATED_BLOB) == [3 * P1, 1000]
    assert any(ev == "OfferSubmitted" for ev, _ in h.events(cb))
    # a stranger may not crank before expiry
    stranger = Party()
    h.fund(stranger)
    assert h.custom_code(h.crank_deal(stranger, deal, creator.x25519)) == ERR("NotController")
    assert h.crank_deal(creator, deal, creator.x25519).err is None
    # double crank while pending is refused
    assert h.custom_code(h.crank_deal(creator, deal, creator.x25519)) == ERR("ComputationPending")
    (cb,) = h.run_node()
    settled = h.sealed_event([cb], "DealSettled")
    assert settled["status"] == otc.DEAL_EXECUTED
    assert otc.sealed_event_blob(settled, 3).open(creator.secret, h.mxe_pub, otc.DEAL_SETTLED_BLOB) == [1000, 2000, 0]
    assert h.deal(deal)["status"] == otc.DEAL_EXECUTED
    assert h.custom_code(h.crank_deal(creator, deal, creator.x25519)) == ERR("DealNotOpen")
    result, blob = _settle_offer(h, deal, offeror, offer)
    assert result == [otc.OUTCOME_EXECUTED, 1000, 0]
    with pytest.raises(ValueError):  # only the offeror can open it
        blob.open(creator.secret, h.mxe_pub, otc.OFFER_SETTLED_BLOB)
    assert h.custom_code(h.crank_offer(offeror, deal, offer, offeror.x25519)) == ERR("OfferAlreadySettled")
    # close: offer then deal; rent goes back to the payers
    before = h.bank.get_account(offeror.wallet.pubkey()).lamports
    h.ok([otc.close_offer_ix(controller=offeror.wallet.pubkey(), offer=offer, rent_receiver=offeror.wallet.pubkey())],
         [offeror.wallet])
    assert h.bank.get_account(offer) is None
    assert h.bank.get_account(offeror.wallet.pubkey()).lamports > before
    h.ok([otc.close_deal_ix(controller=creator.wallet.pubkey(), deal=deal, rent_receiver=creator.wallet.pubkey())],
         [creator.wallet])
    assert h.bank.get_account(deal) is None


def test_early_crank_rejected_when_not_fully_filled(h):
    creator, deal = _open_deal(h, 1000, P1)
    _offer(h, deal, P1, 400)
    before = h.deal(deal)
    assert h.crank_deal(creator, deal, creator.x25519).err is None
    (cb,) = h.run_node()
    assert cb.err is None
    names = [ev for ev, _ in h.events(cb)]
    assert "EarlyCrankRejected" in names and "DealSettled" not in names
    after = h.deal(deal)
    assert after["status"] == otc.DEAL_OPEN and not after["crank_pending"]
    assert after["encrypted_state"] == before["encrypted_state"]  # state untouched
    # more offers still accepted afterwards
    _offer(h, deal, P1, 600)


@pytest.mark.parametrize("allow_partial,status,creator_blob,offer_result", [
    (True, otc.DEAL_EXECUTED, [300, 600, 700], [otc.OUTCOME_EXECUTED, 300, 0]),
    (False, otc.DEAL_EXPIRED, [0, 0, 1000], [otc.OUTCOME_FAILED, 0, 300]),
])
def test_expiry_with_partial_fill(h, allow_partial, status, creator_blob, offer_result):
    creator, deal = _open_deal(h, 1000, 2 * P1, expires_in=60, allow_partial=allow_partial)
    offeror, offer, _ = _offer(h, deal, 2 * P1, 300)
    h.bank.warp_clock(61)
    late = Party()
    h.fund(late)
    _, res = h.submit_offer(late, deal, 2 * P1, 10)
    assert h.custom_code(res) == ERR("DealExpired")  # offers after expiry refused
    cranker = Party()  # permissionless after expiry
    h.fund(cranker)
    assert h.custom_code(h.crank_deal(cranker, deal, cranker.x25519)) == ERR("EncryptionKeyMismatch")
    assert h.crank_deal(cranker, deal, creator.x25519).err is None
    (cb,) = h.run_node()
    settled = h.sealed_event([cb], "DealSettled")
    assert settled["status"] == status
    assert otc.sealed_event_blob(settled, 3).open(creator.secret, h.mxe_pub, otc.DEAL_SETTLED_BLOB) == creator_blob
    assert _settle_offer(h, deal, offeror, offer)[0] == offer_result


def test_fifo_across_offers_and_low_prices(h):
    creator, deal = _open_deal(h, 1000, 2 * P1)
    plan = [(2 * P1, 200, 200), (P1, 500, 0), (3 * P1, 300, 300), (2 * P1 - 1, 100, 0), (2 * P1, 250, 250),
            (5 * P1, 400, 250), (9 * P1, 100, 0)]
    offers = [(_offer(h, deal, price, amount), want, amount) for price, amount, want in plan]
    # crank_offer before crank_deal is refused
    (first, first_key, _), _, _ = offers[0]
    assert h.custom_code(h.crank_offer(first, deal, first_key, first.x25519)) == ERR("DealNotSettled")
    assert h.crank_deal(creator, deal, creator.x25519).err is None  # fully filled: controller may crank
    (cb,) = h.run_node()
    assert h.sealed_event([cb], "DealSettled")["status"] == otc.DEAL_EXECUTED
    for (offeror, key, _), want, amount in offers:
        outcome = otc.OUTCOME_FAILED if want == 0 else (otc.OUTCOME_PARTIAL if want < amount else otc.OUTCOME_EXECUTED)
        assert _settle_offer(h, deal, offeror, key)[0] == [outcome, want, amount - want]
    assert h.deal(deal)["resolved_offers"] == len(plan)


def test_tampered_ciphertext_aborts_without_state_change(h):
    creator, deal = _open_deal(h, 1000, P1)
    before = h.deal(deal)
    offeror = Party()
    h.fund(offeror)
    offer, res = h.submit_offer(offeror, deal, P1, 100, tamper=True)
    assert res.err is None
    (cb,) = h.run_node()
    assert cb.err is None, cb.logs
    assert any(ev == "ComputationAborted" for ev, _ in h.events(cb))
    after = h.deal(deal)
    assert after["encrypted_state"] == before["encrypted_state"] and after["state_nonce"] == before["state_nonce"]
    assert h.offer(offer)["status"] == otc.OFFER_ABORTED
    # a tampered deal aborts the deal itself
    bad_creator = Party()
    h.fund(bad_creator)
    bad_deal, res = h.create_deal(bad_creator, 10, P1, tamper=True)
    (cb,) = h.run_node()
    assert h.deal(bad_deal)["status"] == otc.DEAL_ABORTED and not h.deal(bad_deal)["state_ready"]
    _, res = h.submit_offer(offeror, bad_deal, P1, 1)
    assert h.custom_code(res) == ERR("DealAborted")


def test_callback_signed_by_another_key_refused(h):
    creator = Party()
    h.fund(creator)
    deal, _ = h.create_deal(creator, 5, P1)
    from localnet.mxe.keys import NodeKeys
    impostor = NodeKeys(h.keys.x25519_secret, Keypair())  # claims node 0's slot
    h.bank.airdrop(impostor.node.pubkey(), 10**9)
    (res,) = h.run_node(keys=impostor)
    assert h.custom_code(res) == ARCIUM_IDL.error_code("InvalidNodeSignature")
    assert not h.deal(deal)["state_ready"]
    (res,) = h.run_node()
    assert res.err is None and h.deal(deal)["state_ready"]
    assert h.run_node() == []  # finalized once, never again


def test_callbacks_only_from_arcium(h):
    creator, deal = _open_deal(h, 5, P1)
    before = h.deal(deal)
    # a top-level call cannot make the computation PDA sign, so the program sees an unsigned account
    data = otc.OTC_IDL.encode_instruction("crank_deal_callback", {"output": {"Success": {"output": bytes(145)}}})
    ix = Instruction(otc.OTC_IDL.address, data, [AccountMeta(otc.OTC_ARCIUM.computation(1), False, False),
                                                 AccountMeta(deal, False, True)])
    assert h.custom_code(h.send([ix], [creator.wallet])) == ERR("UnauthorizedCallback")
    assert h.deal(deal) == before

"""OTC consistency does not rest on the MXE node delivering results in order.

The node runs one computation at a time, but results may still arrive out of order: a callback
confirmed after the node's timeout, a node restart with a transaction in flight, a relayer
holding a signed result back. These tests deliver real node-signed results (the node's own
worker functions, on the in-process Bank) in the bad orders and check the chain stays right:
a submit_offer result computed from a deal state that is no longer current aborts its offer and
leaves the deal's state alone; crank_deal waits for every submitted offer's computation.
"""
from __future__ import annotations

import pytest

from localnet.bank import Bank
from localnet.mxe import worker
from localnet.programs.otc.binding import ABORT_STALE_STATE, next_deal_state_nonce
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from tests.unit.otc_bank_harness import OtcBank, Party
from tests.unit.test_otc_program import _open_deal, _settle_offer

P1 = otc.PRICE_ONE
ERR = otc.OTC_IDL.error_code


@pytest.fixture(scope="module")
def h(tmp_path_factory) -> OtcBank:
    bank = Bank(tmp_path_factory.mktemp("otc-ordering"))
    yield OtcBank(bank)
    bank.close()


def deliver(h: OtcBank, result: worker.Result, comp: dict, submitter: int = 0):
    bh, _ = h.bank.latest_blockhash()
    signers = h.cluster[submitter:] + h.cluster[:submitter]
    return h.bank.process_transaction(worker.callback_transaction(signers, result, comp, bh))


def two_offers(h: OtcBank, deal, first: int, second: int, price: int):
    parties = [Party(), Party()]
    h.fund(*parties)
    keys = []
    for party, amount in zip(parties, (first, second)):
        key, res = h.submit_offer(party, deal, price, amount)
        assert res.err is None, res.logs
        keys.append(key)
    return parties, keys


def test_stale_submit_result_aborts_its_offer_and_changes_no_deal_state(h):
    creator, deal = _open_deal(h, 1000, 2 * P1)
    (p1, p2), (k1, k2) = two_offers(h, deal, 600, 1000, 2 * P1)
    [(c1, comp1), (c2, comp2)] = h.queued()
    # Both computed from the same deal state (offer 1's delivery was held back), then the later
    # one lands first. Without the binding, offer 1's result would overwrite offer 2's fill
    # (deal fill 600 while offer 2 holds 1000: 1,600 sold of 1,000).
    r1 = worker.compute(c1, comp1, h.read, h.keys)
    r2 = worker.compute(c2, comp2, h.read, h.keys)
    assert r1.rejected_reason is None and r2.rejected_reason is None
    assert deliver(h, r2, comp2).err is None
    before = h.deal(deal)
    late = deliver(h, r1, comp1)
    assert late.err is None, late.logs          # delivered (arcium: once) and turned into an abort
    events = h.events(late)
    assert ("ComputationAborted", {"account": k1, "circuit": "submit_offer", "reason": ABORT_STALE_STATE}) in events
    assert not any(name in ("OfferCreated", "OfferSubmitted") for name, _ in events)
    after = h.deal(deal)
    assert (after["state_nonce"], after["encrypted_state"]) == (before["state_nonce"], before["encrypted_state"])
    assert (after["pending_offers"], after["resolved_offers"], after["num_offers"]) == (0, 1, 2)
    assert h.offer(k1)["status"] == otc.OFFER_ABORTED and not h.offer(k1)["state_ready"]
    assert ac.decode_computation(bytes(h.bank.get_account(c1).data))["status"] == "Finalized"
    assert h.run_node() == []
    # the deal settles on offer 2's fill alone, and every sealed figure agrees
    assert h.crank_deal(creator, deal, creator.x25519).err is None
    (cb,) = h.run_node()
    settled = h.sealed_event([cb], "DealSettled")
    assert settled["status"] == otc.DEAL_EXECUTED
    assert otc.sealed_event_blob(settled, 3).open(creator.secret, h.mxe_pub, otc.DEAL_SETTLED_BLOB) == [1000, 2000, 0]
    assert _settle_offer(h, deal, p2, k2)[0] == [otc.OUTCOME_EXECUTED, 1000, 0]
    assert h.custom_code(h.crank_offer(p1, deal, k1, p1.x25519)) == ERR("OfferAborted")


def test_a_result_is_bound_to_the_state_it_read_and_its_computation(h):
    """The binding itself: the node's new deal-state nonce is the one derived from the state it
    read and its computation; recomputing (a restarted node) repeats it, so either copy lands
    once and the other is refused by arcium."""
    creator, deal = _open_deal(h, 1000, P1)
    (p1, p2), (k1, k2) = two_offers(h, deal, 300, 300, P1)
    [(c1, comp1), (c2, comp2)] = h.queued()
    read = h.deal(deal)["state_nonce"]
    first = worker.compute(c1, comp1, h.read, h.keys)       # the node, before a crash
    again = worker.compute(c1, comp1, h.read, h.keys)       # the restarted node
    state = otc.split_output("submit_offer", first.outputs["Success"]["output"])[0]
    assert state.nonce == next_deal_state_nonce(read, bytes(c1)) != next_deal_state_nonce(read, bytes(c2))
    assert otc.split_output("submit_offer", again.outputs["Success"]["output"])[0] == state
    assert deliver(h, again, comp1).err is None
    assert h.offer(k1)["state_ready"] and h.deal(deal)["state_nonce"] == state.nonce
    assert again.outputs == first.outputs  # bit-identical: every node of the cluster signs the same bytes
    assert h.custom_code(deliver(h, first, comp1, submitter=1)) == ac.ARCIUM_IDL.error_code("ComputationNotQueued")
    (cb,) = h.run_node()                                    # offer 2 reads the state offer 1 wrote
    assert cb.err is None and h.offer(k2)["state_ready"]
    assert h.deal(deal)["state_nonce"] == next_deal_state_nonce(state.nonce, bytes(c2))


def test_crank_deal_waits_for_pending_offers_until_they_are_aborted_at_expiry(h):
    creator, deal = _open_deal(h, 1000, P1)
    offeror = Party()
    h.fund(offeror)
    offer, res = h.submit_offer(offeror, deal, P1, 1000)
    assert res.err is None
    [(comp_key, comp)] = h.queued()
    before = h.deal(deal)
    res = h.crank_deal(creator, deal, creator.x25519)
    assert h.custom_code(res) == ERR("OffersPending"), res.logs
    assert h.deal(deal) == before and len(h.queued()) == 1      # nothing queued, no flag set
    # the node is down: the offer's computation expires and anyone aborts it
    for _ in range(ac.COMPUTATION_EXPIRY_SLOTS + 1):
        h.bank.advance_slot()
    caller = Party()
    h.fund(caller)
    res = h.send([ac.expire_instruction(caller.wallet.pubkey(), comp_key, comp)], [caller.wallet])
    assert res.err is None, res.logs
    assert h.offer(offer)["status"] == otc.OFFER_ABORTED and h.deal(deal)["pending_offers"] == 0
    assert h.deal(deal)["encrypted_state"] == before["encrypted_state"]
    assert h.crank_deal(creator, deal, creator.x25519).err is None
    (cb,) = h.run_node()
    assert any(name == "EarlyCrankRejected" for name, _ in h.events(cb))  # nothing was filled

"""Random deals and offers through the programs + MXE executor, checked against a plaintext model.

The model below is written straight from seed 003's pseudocode, independently of
localnet/mxe/circuits.py; every sealed result is decrypted with the owner's key and compared.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localnet.bank import Bank
from protocol import otc_codec as otc
from tests.unit.otc_bank_harness import OtcBank, Party

P1 = otc.PRICE_ONE


def model(amount, price, allow_partial, offers, expired):
    fill, per_offer = 0, []
    for o_price, o_amount in offers:
        take = min(o_amount, amount - fill) if o_price >= price else 0
        fill += take
        per_offer.append(take)
    full = fill >= amount
    if not expired and not full:
        return None, per_offer, fill
    executes = full or (allow_partial and fill > 0)
    total = fill if executes else 0
    creator = [total, ((total * price) % 2**128 >> 64) % 2**64, amount - total]
    return (1 if executes else 2, creator), per_offer, fill


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    bank = Bank(tmp_path_factory.mktemp("otc-hypothesis"))
    yield OtcBank(bank)
    bank.close()


prices = st.integers(min_value=1, max_value=8 * P1)
amounts = st.integers(min_value=1, max_value=10**9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=amounts, price=prices, allow_partial=st.booleans(), expire=st.booleans(),
       offers=st.lists(st.tuples(prices, st.integers(min_value=1, max_value=10**9)), min_size=0, max_size=4))
def test_random_deals_match_plaintext_model(h, amount, price, allow_partial, expire, offers):
    creator = Party()
    h.fund(creator)
    deal, res = h.create_deal(creator, amount, price, expires_in=100, allow_partial=allow_partial)
    assert res.err is None
    (cb,) = h.run_node()
    assert otc.sealed_event_blob(h.sealed_event([cb], "DealCreated"), 2).open(
        creator.secret, h.mxe_pub, otc.DEAL_CREATED_BLOB) == [amount, price]
    parties = []
    for o_price, o_amount in offers:
        p = Party()
        h.fund(p)
        key, res = h.submit_offer(p, deal, o_price, o_amount)
        assert res.err is None
        parties.append((p, key, o_amount))
    callbacks = h.run_node()
    for (p, key, o_amount), (o_price, _) in zip(parties, offers):
        ev = next(f for r in callbacks for n, f in h.events(r) if n == "OfferCreated" and f["offer"] == key)
        assert otc.sealed_event_blob(ev, 2).open(p.secret, h.mxe_pub, otc.OFFER_CREATED_BLOB) == [o_price, o_amount]
    if expire:
        h.bank.warp_clock(101)
    outcome, per_offer, _ = model(amount, price, allow_partial, offers, expire)
    assert h.crank_deal(creator, deal, creator.x25519).err is None
    (cb,) = h.run_node()
    if outcome is None:
        assert [n for n, _ in h.events(cb)] == ["EarlyCrankRejected"]
        assert h.deal(deal)["status"] == otc.DEAL_OPEN
        return
    status, creator_blob = outcome
    ev = h.sealed_event([cb], "DealSettled")
    assert ev["status"] == status
    assert otc.sealed_event_blob(ev, 3).open(creator.secret, h.mxe_pub, otc.DEAL_SETTLED_BLOB) == creator_blob
    for (p, key, o_amount), take in zip(parties, per_offer):
        assert h.crank_offer(p, deal, key, p.x25519).err is None
        (cb,) = h.run_node()
        executed = take if status == 1 else 0
        want_outcome = 2 if executed == 0 else (1 if executed < o_amount else 0)
        blob = otc.sealed_event_blob(h.sealed_event([cb], "OfferSettled"), 3)
        assert blob.open(p.secret, h.mxe_pub, otc.OFFER_SETTLED_BLOB) == [want_outcome, executed, o_amount - executed]

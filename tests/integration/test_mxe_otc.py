"""Private OTC end to end: a real `anomi localnet up` (with its MXE node process) over JSON-RPC/PubSub."""
from __future__ import annotations

import time

import pytest

from protocol import otc_codec as otc
from tests.integration.otc_rpc_harness import OtcRpc
from tests.unit.otc_bank_harness import Party

P1 = otc.PRICE_ONE
ERR = otc.OTC_IDL.error_code


def custom(err) -> int | None:
    if isinstance(err, dict) and "InstructionError" in err:
        inner = err["InstructionError"][1]
        return inner.get("Custom") if isinstance(inner, dict) else None
    return None


@pytest.fixture(scope="module")
def h(localnet):
    client = OtcRpc(localnet.rpc_url, localnet.ws_url, localnet.usdc_mint)
    yield client
    client.close()


def open_deal(h, amount, price, **kw):
    creator = Party()
    h.fund(creator)
    deal, err = h.create_deal(creator, amount, price, **kw)
    assert err is None
    _, ev = h.events.wait("DealCreated", lambda f: f["deal"] == deal)
    assert h.open_sealed(ev, 2, creator, otc.DEAL_CREATED_BLOB) == [amount, price]
    return creator, deal


def offer(h, deal, price, amount, **kw):
    offeror = Party()
    h.fund(offeror)
    key, err, _ = h.submit_offer(offeror, deal, price, amount, **kw)
    assert err is None
    return offeror, key


def wait_offer_created(h, offeror, key, price, amount):
    _, ev = h.events.wait("OfferCreated", lambda f: f["offer"] == key)
    assert h.open_sealed(ev, 2, offeror, otc.OFFER_CREATED_BLOB) == [price, amount]


def crank_deal(h, payer, deal, creator):
    assert h.crank_deal(payer, deal, creator.x25519) is None
    _, ev = h.events.wait("DealSettled", lambda f: f["deal"] == deal)
    return ev["status"], h.open_sealed(ev, 3, creator, otc.DEAL_SETTLED_BLOB), ev


def crank_offer(h, deal, offeror, key):
    assert h.crank_offer(offeror, deal, key, offeror.x25519) is None
    _, ev = h.events.wait("OfferSettled", lambda f: f["offer"] == key)
    return h.open_sealed(ev, 3, offeror, otc.OFFER_SETTLED_BLOB), ev


def test_full_fill_then_early_crank_by_controller(h):
    creator, deal = open_deal(h, 500, 3 * P1)
    offeror, key = offer(h, deal, 3 * P1, 500)
    wait_offer_created(h, offeror, key, 3 * P1, 500)
    status, blob, ev = crank_deal(h, creator, deal, creator)
    assert status == otc.DEAL_EXECUTED and blob == [500, 1500, 0]
    assert h.deal(deal)["status"] == otc.DEAL_EXECUTED
    with pytest.raises(ValueError):  # the offeror cannot open the creator's result
        h.open_sealed(ev, 3, offeror, otc.DEAL_SETTLED_BLOB)
    assert custom(h.crank_deal(creator, deal, creator.x25519)) == ERR("DealNotOpen")  # double crank
    result, oev = crank_offer(h, deal, offeror, key)
    assert result == [otc.OUTCOME_EXECUTED, 500, 0]
    with pytest.raises(ValueError):  # nor can any other x25519 key
        h.open_sealed(oev, 3, Party(), otc.OFFER_SETTLED_BLOB)
    assert custom(h.crank_offer(offeror, deal, key, offeror.x25519)) == ERR("OfferAlreadySettled")


def test_early_crank_refused_when_not_fully_filled(h):
    creator, deal = open_deal(h, 1000, P1)
    offeror, key = offer(h, deal, P1, 999)
    wait_offer_created(h, offeror, key, P1, 999)
    stranger = Party()
    h.fund(stranger)
    assert custom(h.crank_deal(stranger, deal, creator.x25519)) == ERR("NotController")
    assert h.crank_deal(creator, deal, creator.x25519) is None
    h.events.wait("EarlyCrankRejected", lambda f: f["deal"] == deal)
    d = h.deal(deal)
    assert d["status"] == otc.DEAL_OPEN and not d["crank_pending"]
    assert custom(h.crank_offer(offeror, deal, key, offeror.x25519)) == ERR("DealNotSettled")


def test_fifo_five_offers_last_partial_and_low_price_gets_nothing(h):
    creator, deal = open_deal(h, 1000, 2 * P1)
    plan = [(2 * P1, 300, 300), (P1, 400, 0), (4 * P1, 200, 200), (2 * P1, 250, 250), (3 * P1, 600, 250)]
    offers = []
    for price, amount, want in plan:  # submitted back to back; the node keeps queue order
        offeror, key = offer(h, deal, price, amount)
        offers.append((offeror, key, price, amount, want))
    first_offeror, first_key = offers[0][0], offers[0][1]
    assert custom(h.crank_offer(first_offeror, deal, first_key, first_offeror.x25519)) in (
        ERR("DealNotSettled"), ERR("StateNotReady"))
    for offeror, key, price, amount, _ in offers:
        wait_offer_created(h, offeror, key, price, amount)
    status, blob, _ = crank_deal(h, creator, deal, creator)
    assert status == otc.DEAL_EXECUTED and blob == [1000, 2000, 0]
    for offeror, key, price, amount, want in offers:
        outcome = otc.OUTCOME_FAILED if want == 0 else (otc.OUTCOME_PARTIAL if want < amount else otc.OUTCOME_EXECUTED)
        assert crank_offer(h, deal, offeror, key)[0] == [outcome, want, amount - want]


@pytest.mark.parametrize("allow_partial", [True, False])
def test_expiry_partial_fill(h, allow_partial):
    creator, deal = open_deal(h, 800, P1, expires_in=4, allow_partial=allow_partial)
    offeror, key = offer(h, deal, P1, 300)
    wait_offer_created(h, offeror, key, P1, 300)
    time.sleep(4.5)
    late = Party()
    h.fund(late)
    _, err, _ = h.submit_offer(late, deal, P1, 5)
    assert custom(err) == ERR("DealExpired")
    cranker = Party()  # anyone may crank after expiry
    h.fund(cranker)
    status, blob, _ = crank_deal(h, cranker, deal, creator)
    if allow_partial:
        assert status == otc.DEAL_EXECUTED and blob == [300, 300, 500]
        assert crank_offer(h, deal, offeror, key)[0] == [otc.OUTCOME_EXECUTED, 300, 0]
    else:
        assert status == otc.DEAL_EXPIRED and blob == [0, 0, 800]
        assert crank_offer(h, deal, offeror, key)[0] == [otc.OUTCOME_FAILED, 0, 300]


def test_tampered_ciphertext_aborts_without_state_change(h):
    creator, deal = open_deal(h, 100, P1)
    before = h.deal(deal)
    offeror, key = offer(h, deal, P1, 50, tamper=True)
    h.events.wait("ComputationAborted", lambda f: f["account"] == key)
    after = h.deal(deal)
    assert after["encrypted_state"] == before["encrypted_state"] and after["state_nonce"] == before["state_nonce"]
    assert h.offer(key)["status"] == otc.OFFER_ABORTED
    # the deal still works afterwards
    good, gkey = offer(h, deal, P1, 100)
    wait_offer_created(h, good, gkey, P1, 100)

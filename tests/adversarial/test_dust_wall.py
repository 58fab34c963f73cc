"""Security issue 10 §5: the dust wall.

The old recipe: 24 bids of 0.01 USDC at a high price (one reused solvency proof, 0.00006 SOL of
fees); every 100 USDC ask then filled 8 of them and the other 99.92 USDC was silently dropped
under the 8-fills-per-instruction cap, so no honest ask could rest. Under today's rules, on a real
``anomi localnet up`` (a market of the thief's own, real solvency proofs from the cluster's rail
and notary): 0.01 USDC bids are refused (InvalidSize); bids never rest (security issue 10 §3), so
a wall of minimum (1 USDC) bids is cancelled bid by bid — nothing rests, nothing is matched or
reserved — and a 100 USDC ask then rests whole. The mirror image, a wall of minimum asks under an
honest 100 USDC bid, makes that bid fail whole with TooManyFills when it would still cross after
8 fills (nothing moved, nothing reserved, no bond) — never a silent cut; once it can be filled
within the cap it fills 8 and its remainder is cancelled, reported in OrderPlaced.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from protocol import market_codec as mc
from protocol import market_pdas as pdas
from protocol.units import fiat_due
from tests.adversarial.market_kit import MARKET, Kit, ThiefMarket, error_name, solvency_proof
from tests.integration.localnet_process import LocalnetProcess

HIGH, LOW, UNIT, BIG = 40_000, 30_000, 1_000_000, 100_000_000
WALL = 9          # one more than the fills an instruction may make


@pytest.fixture(scope="module")
def kit(localnet: LocalnetProcess) -> Iterator[Kit]:
    k = Kit(localnet)
    try:
        yield k
    finally:
        k.close()


def state(m: ThiefMarket, *who) -> tuple:
    return (m.vault(), tuple(m.usdc(w) for w in who), tuple((o.order_id, o.quantity) for o in m.book("Bid")),
            tuple((o.order_id, o.quantity) for o in m.book("Ask")), m.queue())


def reserved(m: ThiefMarket, tag: bytes) -> int:
    data = m.kit.data(pdas.reservation(tag)[0])
    return MARKET.decode_account("Reservation", data)["reserved"] if data else 0


def placed(meta: dict) -> tuple[int, int, int]:
    event = next(f for n, f in MARKET.parse_events(meta["logMessages"]) if n == "OrderPlaced")
    return event["filled"], event["resting"], event["cancelled"]


def test_a_wall_of_bids_cannot_be_built(kit: Kit) -> None:
    m = ThiefMarket.open(kit, 40)
    thief = m.new_trader()
    seller = m.new_trader(usdc=BIG)
    # the old dust: a 0.01 USDC bid is below the minimum size (refused before any proof is checked)
    before = state(m, thief)
    meta = kit.send([m.bid(thief, HIGH, 10_000, bytes(256), kit.now())], [thief])
    assert error_name(MARKET, meta) == "InvalidSize" and state(m, thief) == before

    # the wall at the new minimum: every bid verifies (one real proof; nothing ever gets reserved,
    # so the same reserved total stays current) and none rests — each is cancelled whole
    proof = solvency_proof(kit, thief, fiat_due(UNIT, HIGH))
    before = state(m, seller, thief)
    for _ in range(WALL):
        meta = kit.ok([m.bid(thief, HIGH, UNIT, proof)], [thief])
        assert placed(meta) == (0, 0, UNIT)
    assert state(m, seller, thief) == before and m.book("Bid") == [] and reserved(m, proof.tag) == 0

    # so an honest 100 USDC ask meets no wall: it rests whole, escrowed
    meta = kit.ok([m.ask(seller, HIGH - 500, BIG)], [seller])
    assert placed(meta) == (0, BIG, 0)
    [resting] = m.book("Ask")
    assert resting.quantity == BIG and str(resting.owner) == str(seller.pubkey())
    assert m.vault() == BIG and m.usdc(seller) == 0 and len(mc.decode_queue(m.queue())["records"]) == 0


def test_a_wall_of_asks_never_silently_cuts_a_bid(kit: Kit) -> None:
    m = ThiefMarket.open(kit, 40)
    thief = m.new_trader(usdc=WALL * UNIT)
    buyer = m.new_trader()
    for _ in range(WALL):
        kit.ok([m.ask(thief, LOW, UNIT)], [thief])
    assert len(m.book("Ask")) == WALL
    proof = solvency_proof(kit, buyer, fiat_due(BIG, HIGH))

    # a 100 USDC bid that would still cross after 8 fills: refused whole, nothing moved or reserved
    before, sol = state(m, thief, buyer), kit.lamports(buyer.pubkey())
    meta = kit.send([m.bid(buyer, HIGH, BIG, proof)], [buyer])
    assert error_name(MARKET, meta) == "TooManyFills"
    assert state(m, thief, buyer) == before and reserved(m, proof.tag) == 0
    assert sol - kit.lamports(buyer.pubkey()) == 5_000   # the fee only: no bond posted
    assert all(kit.data(pdas.bond(m.addr["market"], i)[0]) is None for i in range(8))

    # with one ask fewer the same bid fills 8 and its remainder is cancelled — reported, not resting
    kit.ok([m.cancel(thief, "Ask", m.book("Ask")[-1].order_id)], [thief])
    meta = kit.ok([m.bid(buyer, HIGH, BIG, proof)], [buyer])
    assert placed(meta) == (8 * UNIT, 0, BIG - 8 * UNIT)
    assert m.book("Bid") == [] and m.book("Ask") == [] and len(mc.decode_queue(m.queue())["records"]) == 8
    assert reserved(m, proof.tag) == 8 * fiat_due(UNIT, LOW)
    assert m.vault() == 8 * UNIT and m.usdc(thief) == UNIT and m.usdc(buyer) == 0

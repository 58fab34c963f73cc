"""Security issue 10 §5: the dust wall.

The old recipe: 24 bids of 0.01 USDC at a high price (one reused solvency proof, 0.00006 SOL of
fees); every 100 USDC ask then filled 8 of them and the other 99.92 USDC was silently dropped
under the 8-fills-per-instruction cap, so no honest ask could rest. On a real ``anomi localnet up``
(a market of the thief's own, real solvency proof from the cluster's rail and notary):
0.01 USDC bids are refused (InvalidSize); a wall of minimum (1 USDC) bids makes a 100 USDC ask
that would still cross after 8 fills fail whole with TooManyFills — nothing moved, never a
silent cut; and once it can be filled within the cap, the ask's remainder rests on the book.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from protocol.units import fiat_due
from tests.adversarial.market_kit import MARKET, Kit, ThiefMarket, error_name, solvency_proof
from tests.integration.localnet_process import LocalnetProcess

HIGH, UNIT, ASK = 40_000, 1_000_000, 100_000_000
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


def test_dust_wall_no_longer_swallows_an_ask(kit: Kit) -> None:
    m = ThiefMarket.open(kit, 40)
    thief = m.new_trader()
    seller = m.new_trader(usdc=ASK)
    # the old dust: a 0.01 USDC bid is below the minimum size (refused before any proof is checked)
    before = state(m, thief)
    meta = kit.send([m.bid(thief, HIGH, 10_000, bytes(256), kit.now())], [thief])
    assert error_name(MARKET, meta) == "InvalidSize" and state(m, thief) == before

    # the wall at the new minimum: one real solvency proof, reused for every identical bid
    proof, min_ts = solvency_proof(kit, thief, fiat_due(UNIT, HIGH), balance=WALL * fiat_due(UNIT, HIGH))
    for _ in range(WALL):
        kit.ok([m.bid(thief, HIGH, UNIT, proof, min_ts)], [thief])
    assert len(m.book("Bid")) == WALL

    # a 100 USDC ask that would still cross after 8 fills: refused whole, nothing moved
    before = state(m, seller, thief)
    meta = kit.send([m.ask(seller, HIGH - 500, ASK)], [seller])
    assert error_name(MARKET, meta) == "TooManyFills"
    assert state(m, seller, thief) == before and m.usdc(seller) == ASK

    # with one bid fewer the same ask fills 8 and its remainder rests — escrowed, not dropped
    wall = m.book("Bid")
    kit.ok([m.cancel(thief, "Bid", wall[-1].order_id)], [thief])
    meta = kit.ok([m.ask(seller, HIGH - 500, ASK)], [seller])
    placed = next(f for n, f in MARKET.parse_events(meta["logMessages"]) if n == "OrderPlaced")
    assert (placed["filled"], placed["resting"], placed["cancelled"]) == (8 * UNIT, ASK - 8 * UNIT, 0)
    [resting] = m.book("Ask")
    assert resting.quantity == ASK - 8 * UNIT and str(resting.owner) == str(seller.pubkey())
    assert m.book("Bid") == [] and m.vault() == ASK and m.usdc(seller) == 0

"""Security issue 10 §4: flooding one side of the book so that honest orders cannot rest.

The thief's old recipe: minimum-size asks at absurd prices (10 per transaction) fill the ask side
until BookFull, for a few lamports of fees and 0.01 USDC per slot; after that no honest ask could
rest. Against a real ``anomi localnet up`` on a market with small books (same programs), the
thief now finds: the minimum order is 1 USDC *and* 100 PKR of value, one wallet rests at most
MAX_ORDERS_PER_OWNER orders per side, and once the side is full an honest ask at a competitive
price still rests — it evicts the worst (absurd) ask, whose escrow goes back to its owner. Every
refusal is a named error and moves nothing.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from solders.keypair import Keypair

from localnet.programs.market.matching import MAX_ORDERS_PER_OWNER
from tests.adversarial.market_kit import MARKET, Kit, ThiefMarket, error_name
from tests.integration.localnet_process import LocalnetProcess

CAPACITY = MAX_ORDERS_PER_OWNER + 8      # one wallet cannot fill a side alone
ABSURD = 10 ** 12                        # paisa per USDC
FAIR = 28_500
MIN = 1_000_000                          # 1 USDC


@pytest.fixture(scope="module")
def market(localnet: LocalnetProcess) -> Iterator[ThiefMarket]:
    kit = Kit(localnet)
    try:
        yield ThiefMarket.open(kit, CAPACITY)
    finally:
        kit.close()


def snapshot(m: ThiefMarket, *who: Keypair) -> tuple:
    return (m.vault(), tuple(m.usdc(w) for w in who), tuple((o.order_id, o.quantity) for o in m.book("Ask")),
            tuple((o.order_id, o.quantity) for o in m.book("Bid")))


def refused(m: ThiefMarket, ixs, signer: Keypair, error: str, *watch: Keypair) -> None:
    before = snapshot(m, signer, *watch)
    meta = m.kit.send(ixs, [signer])
    assert error_name(MARKET, meta) == error, meta["logMessages"][-4:]
    assert snapshot(m, signer, *watch) == before, "a refused order moved something"


def test_flood_then_an_honest_competitive_ask_still_rests(market: ThiefMarket) -> None:
    m = market
    thief = m.new_trader(usdc=100 * MIN)
    # the old dust: 0.01 USDC per order is below the minimum size
    refused(m, [m.ask(thief, ABSURD, 10_000)], thief, "InvalidSize")
    # 1 USDC at 1 paisa is below the minimum value (100 PKR): no 1-paisa wall either
    refused(m, [m.ask(thief, 1, MIN)], thief, "OrderValueTooSmall")

    # the flood: 10 minimum asks per transaction at absurd prices, from as few wallets as the cap allows
    placed = 0
    while placed < MAX_ORDERS_PER_OWNER:
        m.kit.ok([m.ask(thief, ABSURD + placed + i, MIN) for i in range(min(10, MAX_ORDERS_PER_OWNER - placed))],
                 [thief])
        placed = len(m.book("Ask"))
    assert placed == MAX_ORDERS_PER_OWNER
    refused(m, [m.ask(thief, ABSURD * 2, MIN)], thief, "TooManyOpenOrders")
    sybil = m.new_trader(usdc=100 * MIN)
    m.kit.ok([m.ask(sybil, ABSURD + 1_000 + i, MIN) for i in range(CAPACITY - placed)], [sybil])
    assert len(m.book("Ask")) == CAPACITY
    # a flood order no better than the worst resting one finds the side full
    refused(m, [m.ask(sybil, ABSURD * 3, MIN)], sybil, "BookFull")

    # an honest seller at a fair price: the worst ask (the sybil's) is evicted and refunded
    honest = m.new_trader(usdc=50 * MIN)
    worst = max(m.book("Ask"), key=lambda o: o.order_id)
    assert str(worst.owner) == str(sybil.pubkey())
    # without the evicted owner's USDC account the escrow could not be refunded: refused, nothing moves
    refused(m, [m.ask(honest, FAIR, 50 * MIN)], honest, "EvicteeAccountMissing", sybil)
    refused(m, [m.ask(honest, FAIR, 50 * MIN, evictee=m.ata(thief.pubkey()))], honest,
            "EvicteeAccountMissing", sybil, thief)
    vault, sybil_usdc = m.vault(), m.usdc(sybil)
    meta = m.kit.ok([m.ask(honest, FAIR, 50 * MIN, evictee=m.ata(sybil.pubkey()))], [honest])
    events = [n for n, _ in MARKET.parse_events(meta["logMessages"])]
    assert events == ["OrderEvicted", "OrderPlaced"]
    asks = m.book("Ask")
    assert len(asks) == CAPACITY and asks[0].price == FAIR and str(asks[0].owner) == str(honest.pubkey())
    assert worst.order_id not in {o.order_id for o in asks}
    assert m.usdc(sybil) == sybil_usdc + worst.quantity            # the evicted escrow went home
    assert m.vault() == vault + 50 * MIN - worst.quantity
    assert m.usdc(honest) == 0

"""Security issue 10 §5: the settlement queue never shrank, so ~52,000 matches made QueueFull
permanent and stopped all matching.

Against a real ``anomi localnet up --allow-clock-warp`` on a market of the thief's own (its queue
starts at 16 records, like every queue): rounds of 24 matches, each round expired 24 h later by
anyone (reclaim_expired) and archived by anyone (archive_record). The live queue's account stops
growing after the first round — the window slides past the archived records — while matching
goes on and every archived record is still found by its order id (lookup_record: the queue, then
the record's ArchivedOrder account). What cannot be archived or closed is refused by name and
changes nothing.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from protocol import market_codec as mc
from tests.adversarial.market_kit import MARKET, STORE, Kit, ThiefMarket, error_name, solvency_proof
from tests.integration.localnet_process import LocalnetProcess
from protocol.units import fiat_due

PRICE, UNIT, FILLS = 28_500, 1_000_000, 8          # 8 one-USDC makers per bid: 8 records per bid
ROUNDS, BIDS_PER_ROUND = 3, 3
DAY = 24 * 3600


@pytest.fixture(scope="module")
def kit(warp_localnet: LocalnetProcess) -> Iterator[Kit]:
    k = Kit(warp_localnet)
    try:
        yield k
    finally:
        k.close()


def test_matching_goes_on_while_archived_records_stay_readable(kit: Kit) -> None:
    # a 10-year attestation window so the proofs serve every round across the clock warps. Each bid
    # of a round proves over what the round's earlier bids reserved; an expiry releases its
    # reservation (no fiat moved), so every round starts again from 0 and reuses the same proofs.
    m = ThiefMarket.open(kit, 40, max_attestation_age=10 * 365 * DAY)
    seller = m.new_trader(usdc=ROUNDS * BIDS_PER_ROUND * FILLS * UNIT)
    buyer = m.new_trader()
    cranker = m.new_trader()
    due = sum(fiat_due(UNIT, PRICE) for _ in range(FILLS))   # what one bid's 8 fills reserve
    proofs = [solvency_proof(kit, buyer, fiat_due(FILLS * UNIT, PRICE), balance=BIDS_PER_ROUND * due)]
    for k in range(1, BIDS_PER_ROUND):
        proofs.append(solvency_proof(kit, buyer, fiat_due(FILLS * UNIT, PRICE), login=proofs[0].login,
                                     reserved=k * due))
    sizes = []
    for rnd in range(ROUNDS):
        first = mc.queue_count(m.queue())
        for proof in proofs:
            kit.ok([m.ask(seller, PRICE, UNIT) for _ in range(FILLS)], [seller])
            meta = kit.ok([m.bid(buyer, PRICE, FILLS * UNIT, proof)], [buyer])
            assert sum(1 for n, _ in MARKET.parse_events(meta["logMessages"]) if n == "OrderMatched") == FILLS
        ids = list(range(first, mc.queue_count(m.queue())))
        assert len(ids) == BIDS_PER_ROUND * FILLS
        if rnd == 0:
            # a Pending record holds someone's escrow: it cannot leave the live queue
            queue, lamports = m.queue(), kit.lamports(cranker.pubkey())
            meta = kit.send([m.archive(cranker, ids[0])], [cranker])
            assert error_name(STORE, meta) == "RecordStillLive"
            assert m.queue() == queue and kit.lamports(cranker.pubkey()) == lamports - meta["fee"]
        kit.rpc("anomi_warpClock", [DAY + 1])
        for chunk in range(0, len(ids), 8):
            kit.ok([m.reclaim(i, seller.pubkey()) for i in ids[chunk:chunk + 8]], [cranker])
            kit.ok([m.archive(cranker, i) for i in ids[chunk:chunk + 8]], [cranker])
        assert m.vault() == 0 and m.usdc(seller) == ROUNDS * BIDS_PER_ROUND * FILLS * UNIT
        sizes.append(len(m.queue()))
    data = m.queue()
    assert mc.queue_count(data) == ROUNDS * BIDS_PER_ROUND * FILLS
    assert sizes[0] == sizes[-1], f"the live queue kept growing: {sizes}"
    assert mc.queue_base(data) >= (ROUNDS - 1) * BIDS_PER_ROUND * FILLS
    assert mc.decode_queue(data)["records"] == []
    for order_id in (0, 7, BIDS_PER_ROUND * FILLS, mc.queue_count(data) - 1):
        rec = m.record(order_id)
        assert rec is not None and rec["order_id"] == order_id and rec["status"] == "Expired"
        assert rec["buyer"] == buyer.pubkey() and rec["seller"] == seller.pubkey()

    # an archived order can be neither reclaimed again nor closed before its retention period
    seller_usdc, vault = m.usdc(seller), m.vault()
    meta = kit.send([m.reclaim(0, seller.pubkey())], [cranker])
    assert error_name(MARKET, meta) == "OrderNotPending"
    close = STORE.instruction("close_archived", {"order_id": 0}, {
        "settlement_queue": m.addr["settlement_queue"],
        "archived_order": mc.archived_order_address(m.addr["market"], 0), "rent_payer": cranker.pubkey()})
    archive_lamports = kit.lamports(mc.archived_order_address(m.addr["market"], 0))
    meta = kit.send([close], [seller])
    assert error_name(STORE, meta) == "RetentionNotOver"
    assert (m.usdc(seller), m.vault()) == (seller_usdc, vault)
    assert kit.lamports(mc.archived_order_address(m.addr["market"], 0)) == archive_lamports > 0

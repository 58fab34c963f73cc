"""place_ask_order / place_bid_order time at book depths 10, 1,000 and 10,000.

Why this shape: the goal is that the book's depth does not show in the cost of placing an
order (depth 10,000 within 2x of depth 10). Each depth gets a fresh genesis-sized book
(capacity 12,288 per side, so account sizes are equal at every depth) prefilled with `depth`
resting asks and `depth` resting bids; then full transactions run through the real runtime
executor and programs: a resting ask (no cross) and a bid that takes part of the best ask
(solvency check, one MatchedOrder by CPI). The bid's Groth16 check is the production verifier
on a simulated-setup proof (made before the timer starts), the same cost at every depth;
the engine-only column times the matching call alone.

Run: .venv/bin/python -m bench.matching
"""
from __future__ import annotations

import statistics
import time

from solders.pubkey import Pubkey

from localnet.programs.market.book import Book
from localnet.programs.market.matching import place
from protocol import market_codec as mc
from tests.unit.zkp2p_harness import Ledger

DEPTHS = (10, 1_000, 10_000)
RUNS = 25
PAYEE = (4242).to_bytes(32, "big")


def prefill(ledger: Ledger, depth: int) -> None:
    maker = bytes(Pubkey.new_unique())
    for side, key in ((mc.SIDE_ASK, "asks"), (mc.SIDE_BID, "bids")):
        data = bytearray(ledger.data(ledger.addr[key]))
        book = Book(data)
        for i in range(depth):
            price = 30_000 + (i * 7919) % 2_000 if side == mc.SIDE_ASK else 20_000 + (i * 7919) % 2_000
            book.insert(mc.order_key(side, price, 10_000_000 + i), maker, 1_000_000_000, 0, PAYEE)
        book.flush()
        ledger.put(ledger.addr[key], ledger.accounts[ledger.addr[key]].owner, bytes(data))
    # the vault must hold what the prefilled asks escrow
    vault = bytearray(ledger.data(ledger.addr["vault"]))
    vault[64:72] = (depth * 1_000_000_000).to_bytes(8, "little")
    ledger.put(ledger.addr["vault"], ledger.accounts[ledger.addr["vault"]].owner, bytes(vault))


def measure(depth: int) -> dict[str, float]:
    L = Ledger(book_capacity=mc.GENESIS_BOOK_CAPACITY)
    prefill(L, depth)
    seller, stok = L.new_user(10**15)
    buyer, _ = L.new_user()
    ask_times, bid_times = [], []
    for i in range(RUNS):
        t = time.perf_counter()
        r = L.send([L.ask(seller, stok, 40_000 + i, 10_000_000, PAYEE)], [seller])
        ask_times.append(time.perf_counter() - t)
        assert r.err is None, r.logs[-3:]
        mt = L.now - 10
        proof = L.bid_proof(buyer.pubkey(), 32_000, 1_000_000, mt)
        t = time.perf_counter()
        r = L.send([L.bid(buyer, 32_000, 1_000_000, proof, mt)], [buyer])
        bid_times.append(time.perf_counter() - t)
        assert r.err is None and len(L.queue()["records"]) == i + 1, r.logs[-3:]
    # engine only: the matching call on in-memory books of the same depth
    bids, asks = Book(bytearray(L.data(L.addr["bids"]))), Book(bytearray(L.data(L.addr["asks"])))
    eng = []
    for i in range(RUNS):
        t = time.perf_counter()
        place(mc.SIDE_ASK, bytes(32), 45_000 + i, 1_000, 99_000_000 + i, 0, PAYEE, asks, bids)
        eng.append(time.perf_counter() - t)
    return {"ask": statistics.median(ask_times) * 1e3, "bid": statistics.median(bid_times) * 1e3,
            "engine": statistics.median(eng) * 1e6}


def main() -> None:
    measure(DEPTHS[0])  # warm-up: imports, caches, first-transaction costs
    results = {d: measure(d) for d in DEPTHS}
    base = results[DEPTHS[0]]
    print(f"{'depth':>7} {'place_ask ms':>13} {'place_bid ms':>13} {'engine us':>10}  ratio vs depth {DEPTHS[0]} (ask/bid/engine)")
    for d, r in results.items():
        print(f"{d:>7} {r['ask']:>13.2f} {r['bid']:>13.2f} {r['engine']:>10.1f}  "
              f"{r['ask'] / base['ask']:.2f}x / {r['bid'] / base['bid']:.2f}x / {r['engine'] / base['engine']:.2f}x")
    worst = max(results[DEPTHS[-1]][k] / base[k] for k in ("ask", "bid"))
    print(f"goal: depth {DEPTHS[-1]} <= 2x depth {DEPTHS[0]}: {'met' if worst <= 2 else 'NOT met'} (worst {worst:.2f}x)")


if __name__ == "__main__":
    main()

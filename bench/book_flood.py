"""What it costs to keep ONE honest ask off the book, under the old rules and the new ones.

    .venv/bin/python -m bench.book_flood [--sol-usd 150]

Runs against a real `anomi localnet up` (started here on free ports, fresh ledger). On a market
with small books opened by `init_market` (same programs as the genesis market) it measures:

* the fee of one flood transaction (10 minimum asks, one signer) and its compute units, and the
  rent of the token account every extra flooding wallet needs;
* that the new rules hold on the cluster: a side flooded at absurd prices still takes an honest
  ask at a fair price (the worst flood ask is evicted and refunded), while a flood priced at or
  better than the honest ask does keep it out — which is real liquidity anyone can buy.

Then it scales both attacks to the genesis book (12,288 orders per side):

* BEFORE (old rules, computed from this run's measured fee): 0.01 USDC asks at absurd prices,
  10 per transaction, one wallet, no eviction: ceil(12,288 / 10) transactions and 122.88 USDC of
  escrow (all of it returned when the flooder cancels) block every honest ask at any price.
  The old rules cannot run on the new programs, hence computed, not replayed.
* AFTER: an absurd-priced flood blocks nothing (eviction), so the flood must be priced at or
  better than the honest ask: 12,288 asks of at least 1 USDC (and 100 PKR) escrowed at a price a
  buyer would take, spread over ceil(12,288 / 32) wallets (per-owner cap), each with a USDC
  token account, ceil(32 / 10) transactions per wallet.

Costs are SOL fees + rent (converted at --sol-usd, an assumption printed with the result) plus
capital locked in USDC; the ratio AFTER / BEFORE is printed for each and for the total.
"""
from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from localnet.programs.market.matching import MAX_ORDERS_PER_OWNER
from protocol import market_codec as mc
from tests.adversarial.market_kit import MARKET, Kit, ThiefMarket, error_name
from tests.integration.localnet_process import running_localnet

GENESIS = mc.GENESIS_BOOK_CAPACITY
PER_TX = 10
OLD_MIN_SIZE = 10_000          # 0.01 USDC: the old genesis minimum
NEW_MIN_SIZE = 1_000_000       # 1 USDC
ABSURD, FAIR = 10 ** 12, 28_500
SMALL = 40                     # the measured market's capacity per side
LAMPORTS = 10 ** 9


def measure(kit: Kit) -> dict[str, float]:
    m = ThiefMarket.open(kit, SMALL)
    flooders = [m.new_trader(usdc=MAX_ORDERS_PER_OWNER * NEW_MIN_SIZE) for _ in range(math.ceil(SMALL / MAX_ORDERS_PER_OWNER))]
    fees, cus, placed = [], [], 0
    for who in flooders:
        mine = 0
        while mine < MAX_ORDERS_PER_OWNER and placed < SMALL:
            n = min(PER_TX, MAX_ORDERS_PER_OWNER - mine, SMALL - placed)
            meta = kit.ok([m.ask(who, ABSURD + placed + i, NEW_MIN_SIZE) for i in range(n)], [who])
            if n == PER_TX:
                fees.append(meta["fee"])
                cus.append(meta["computeUnitsConsumed"])
            mine, placed = mine + n, placed + n
    assert len(m.book("Ask")) == SMALL
    # an honest ask at a fair price rests on the absurd flood (the worst ask is evicted, refunded)
    honest = m.new_trader(usdc=10 * NEW_MIN_SIZE)
    worst = max(m.book("Ask"), key=lambda o: o.order_id)
    meta = kit.send([m.ask(honest, FAIR, 10 * NEW_MIN_SIZE, evictee=m.ata(worst.owner))], [honest])
    evicted_rests = meta["err"] is None and m.book("Ask")[0].price == FAIR
    # a side flooded at a better price than the honest ask does keep it out (BookFull)
    m2 = ThiefMarket.open(kit, SMALL)
    placed = 0
    for who in [m2.new_trader(usdc=MAX_ORDERS_PER_OWNER * NEW_MIN_SIZE) for _ in range(2)]:
        mine = 0
        while mine < MAX_ORDERS_PER_OWNER and placed < SMALL:
            n = min(PER_TX, MAX_ORDERS_PER_OWNER - mine, SMALL - placed)
            kit.ok([m2.ask(who, FAIR - 100, NEW_MIN_SIZE) for _ in range(n)], [who])
            mine, placed = mine + n, placed + n
    honest2 = m2.new_trader(usdc=10 * NEW_MIN_SIZE)
    blocked = error_name(MARKET, kit.send([m2.ask(honest2, FAIR, 10 * NEW_MIN_SIZE)], [honest2])) == "BookFull"
    return {"fee": sum(fees) / len(fees), "cu": sum(cus) / len(cus), "ata_rent": kit.rent(165),
            "evicted_rests": evicted_rests, "competitive_blocks": blocked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sol-usd", type=float, default=150.0, help="USDC per SOL used to add fees to capital")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_localnet(Path(tmp) / "ledger") as node:
        kit = Kit(node)
        try:
            r = measure(kit)
        finally:
            kit.close()
    fee_sol = r["fee"] / LAMPORTS
    print(f"measured on the cluster: flood tx of {PER_TX} asks: fee {r['fee']:.0f} lamports, {r['cu']:,.0f} CU; "
          f"token account rent {r['ata_rent'] / LAMPORTS:.8f} SOL")
    print(f"  absurd-priced full side, honest fair ask rests (evicts the worst): {r['evicted_rests']}")
    print(f"  side full of better-priced asks keeps a worse honest ask out (BookFull): {r['competitive_blocks']}")

    before_tx = math.ceil(GENESIS / PER_TX)
    before_sol = before_tx * fee_sol
    before_usdc = GENESIS * OLD_MIN_SIZE / 1e6
    wallets = math.ceil(GENESIS / MAX_ORDERS_PER_OWNER)
    after_tx = wallets * math.ceil(MAX_ORDERS_PER_OWNER / PER_TX)
    after_sol = after_tx * fee_sol + wallets * (r["ata_rent"] / LAMPORTS)
    after_usdc = GENESIS * NEW_MIN_SIZE / 1e6
    before_total = before_sol * args.sol_usd + before_usdc
    after_total = after_sol * args.sol_usd + after_usdc
    print(f"\nto block one honest ask on a {GENESIS:,}-order side (SOL at {args.sol_usd:.0f} USDC, an assumption):")
    print(f"{'':>8} {'txs':>6} {'wallets':>8} {'SOL (fees+rent)':>16} {'USDC locked':>12} {'total USDC':>11}  blocks")
    print(f"{'before':>8} {before_tx:>6} {1:>8} {before_sol:>16.6f} {before_usdc:>12,.2f} {before_total:>11,.2f}  "
          f"any honest ask, at any price")
    print(f"{'after':>8} {after_tx:>6} {wallets:>8} {after_sol:>16.6f} {after_usdc:>12,.2f} {after_total:>11,.2f}  "
          f"only asks priced worse than all {GENESIS:,} flood asks (which any buyer can take)")
    print(f"ratio after/before: SOL {after_sol / before_sol:.1f}x, capital {after_usdc / before_usdc:.0f}x, "
          f"total {after_total / before_total:.0f}x")


if __name__ == "__main__":
    main()

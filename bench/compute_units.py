"""Compute units of every zk-p2p instruction, measured on the real runtime executor.

Every bid and finalize carries a REAL Groth16 proof of the solvency/payment circuit (prover/),
checked under the real verifying keys genesis reads from resources/circuits, through the
alt_bn128 syscalls; a throwaway notary key (in the attester registry) signs the attestations
and receipts. The peer is the SPL Token transfer measured in the same run, and the ZKP2P Solana
port's ~126k CU per settled payment is the published reference for finalize_trade (goal: <= 200k).

Run: .venv/bin/python -m bench.compute_units
"""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction

from protocol.program_ids import TOKEN_PROGRAM_ID
from tests.unit.zkp2p_harness import CircuitProofs, Ledger

PRICE, SIZE = 28_500, 100_000_000
PAYEE = (99).to_bytes(32, "big")


def main() -> None:
    proofs = CircuitProofs()
    L = Ledger([proofs.notary_public], keys="circuits", book_capacity=4096)
    seller, stok = L.new_user(10 * SIZE)
    buyer, btok = L.new_user()
    rows: list[tuple[str, int]] = []

    def run(label: str, ixs, signers) -> object:
        r = L.send(ixs, signers, cu_limit=1_400_000)
        assert r.err is None, (label, r.err, r.logs[-4:])
        rows.append((label, r.cu))
        return r

    transfer = Instruction(TOKEN_PROGRAM_ID, bytes([3]) + (1).to_bytes(8, "little"),
                           [AccountMeta(stok, False, True), AccountMeta(btok, False, True), AccountMeta(seller.pubkey(), True, False)])
    run("spl_token.transfer (peer)", [transfer], [seller])
    r = run("place_ask_order (rests)", [L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller])
    order_id = r.events()[0][1]["order_id"]
    run("cancel_order (ask, refund)", [L.cancel(seller, stok, "Ask", order_id)], [seller])
    run("place_ask_order (rests)", [L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller])
    mt = L.now - 60
    run("place_bid_order (proof + 1 fill)", [L.bid(buyer, PRICE, SIZE, proofs.solvency(L, buyer.pubkey(), PRICE, SIZE, mt), mt)], [buyer])
    for i in range(4):
        L.send([L.ask(seller, stok, PRICE + i, SIZE // 8, PAYEE)], [seller])
    run("place_bid_order (proof + 4 fills)", [L.bid(buyer, PRICE + 3, SIZE // 2, proofs.solvency(L, buyer.pubkey(), PRICE + 3, SIZE // 2, mt), mt)], [buyer])
    buyer2, _ = L.new_user()
    run("place_bid_order (proof, no match: cancelled)", [L.bid(buyer2, PRICE - 100, SIZE, proofs.solvency(L, buyer2.pubkey(), PRICE - 100, SIZE, mt), mt)], [buyer2])
    for i in range(8):
        L.send([L.ask(seller, stok, PRICE + 10 + i, SIZE // 64, PAYEE)], [seller])
    run("place_bid_order (proof + 8 fills, 8 bonds)", [L.bid(buyer, PRICE + 17, SIZE // 8, proofs.solvency(L, buyer.pubkey(), PRICE + 17, SIZE // 8, mt), mt)], [buyer])
    nullifier, proof = proofs.payment(L, 0, 777)
    run("finalize_trade (ref+verify+nullifier+release+bond)", [L.finalize(buyer, 0, nullifier, proof, btok)], [buyer])
    L.warp(86_400)
    run("reclaim_expired (+ bond)", [L.reclaim(1, stok)], [buyer])
    peer = rows[0][1]
    print(f"{'instruction':45} {'CU':>9} {'x SPL transfer':>15}")
    for label, cu in rows:
        print(f"{label:45} {cu:>9,} {cu / peer:>14.1f}x")
    fin = dict(rows)["finalize_trade (verify+nullifier+release)"]
    print(f"finalize_trade: {fin:,} CU (goal <= 200,000; ZKP2P Solana port ~126,000): {'met' if fin <= 200_000 else 'NOT met'}")


if __name__ == "__main__":
    main()

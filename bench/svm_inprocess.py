"""In-process USDC transfer throughput: our Bank vs solders.litesvm.LiteSVM (the real SVM).

Both execute the same kind of signed SPL Token transfers (same instruction, same number of
accounts) with signature verification on; signing happens before the clock starts. Our Bank
also commits every batch durably to SQLite (fsync), which LiteSVM, an in-memory test VM,
does not do — the ratio shows what the Python runtime plus durability costs.

    .venv/bin/python bench/svm_inprocess.py [-n 2000] [--batch 64]

``run_inprocess(n)`` is imported by bench/localnet_tps.py.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from solders.account import Account
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address, transfer
from spl.token.models import TransferParams

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localnet.bank import Bank  # noqa: E402
from localnet.programs.token_state import Mint, TokenAccount  # noqa: E402

SENDERS = 50


def _transfers(senders: list[Keypair], recipient_atas: list[Pubkey], mint: Pubkey, blockhash, n: int):
    txs = []
    for i in range(n):
        kp = senders[i % len(senders)]
        src = get_associated_token_address(kp.pubkey(), mint)
        ix = transfer(TransferParams(program_id=TOKEN_PROGRAM_ID, source=src, dest=recipient_atas[i % len(recipient_atas)],
                                     owner=kp.pubkey(), amount=1 + i // len(senders)))
        txs.append(VersionedTransaction(Message.new_with_blockhash([ix], kp.pubkey(), blockhash), [kp]))
    return txs


def bench_bank(n: int, batch: int = 64) -> dict:
    with tempfile.TemporaryDirectory() as d:
        bank = Bank(Path(d) / "ledger")
        try:
            senders = [Keypair() for _ in range(SENDERS)]
            recipients = [Keypair().pubkey() for _ in range(SENDERS)]
            for kp in senders:
                assert bank.airdrop(kp.pubkey(), 10**10).err is None
                assert bank.faucet_token(kp.pubkey(), 10**12).err is None
            for r in recipients:
                assert bank.faucet_token(r, 1).err is None
            atas = [get_associated_token_address(r, bank.usdc_mint) for r in recipients]
            txs = _transfers(senders, atas, bank.usdc_mint, bank.latest_blockhash()[0], n)
            t0 = time.perf_counter()
            ok = 0
            for i in range(0, n, batch):
                ok += sum(r.err is None for r in bank.process_transactions(txs[i:i + batch]))
            dt = time.perf_counter() - t0
            assert ok == n, f"{n - ok} transfers failed"
        finally:
            bank.close()
    return {"tps": n / dt, "seconds": dt, "transfers": n, "batch": batch, "durable": True}


def bench_litesvm(n: int) -> dict:
    from solders.litesvm import LiteSVM

    svm = LiteSVM()
    authority = Keypair()
    mint = Keypair().pubkey()
    rent_mint = svm.minimum_balance_for_rent_exemption(82)
    rent_acct = svm.minimum_balance_for_rent_exemption(165)
    svm.set_account(mint, Account(rent_mint, Mint(authority.pubkey(), 10**15, 6, True, None).pack(),
                                  TOKEN_PROGRAM_ID, False, 0))
    senders = [Keypair() for _ in range(SENDERS)]
    recipients = [Keypair().pubkey() for _ in range(SENDERS)]
    for owner, amount in [(kp.pubkey(), 10**12) for kp in senders] + [(r, 1) for r in recipients]:
        svm.airdrop(owner, 10**10)
        ata = get_associated_token_address(owner, mint)
        data = TokenAccount(mint, owner, amount, None, 1, None, 0, None).pack()
        svm.set_account(ata, Account(rent_acct, data, TOKEN_PROGRAM_ID, False, 0))
    atas = [get_associated_token_address(r, mint) for r in recipients]
    txs = _transfers(senders, atas, mint, svm.latest_blockhash(), n)
    t0 = time.perf_counter()
    ok = 0
    for tx in txs:
        res = svm.send_transaction(tx)
        ok += not hasattr(res, "err")
    dt = time.perf_counter() - t0
    assert ok == n, f"{n - ok} LiteSVM transfers failed"
    return {"tps": n / dt, "seconds": dt, "transfers": n}


def run_inprocess(n: int) -> dict:
    """Both rates in one run: {"anomi_bank": {...}, "litesvm": {...}, "comparison": {...}}."""
    ours = bench_bank(n)
    peer = bench_litesvm(n)
    return {"anomi_bank": ours, "litesvm": peer,
            "comparison": {"bank_over_litesvm": ours["tps"] / peer["tps"]}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="in-process USDC transfers: Bank vs LiteSVM")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args(argv)
    ours = bench_bank(args.n, args.batch)
    peer = bench_litesvm(args.n)
    print(f"anomi Bank (Python runtime, SQLite WAL, fsync per batch of {args.batch}): "
          f"{ours['tps']:.0f} transfers/s ({args.n} in {ours['seconds']:.2f}s)")
    print(f"LiteSVM (real SVM, in memory):  {peer['tps']:.0f} transfers/s ({args.n} in {peer['seconds']:.2f}s)")
    print(f"ratio Bank / LiteSVM: {ours['tps'] / peer['tps']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

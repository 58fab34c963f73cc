"""Confirmed USDC transfers per second over JSON-RPC, from a separate client process.

    .venv/bin/python -m bench.localnet_tps [--transfers 4000] [--senders 200] [--concurrency 64]

What is measured: a real `anomi localnet up` process (no side services, fresh ledger) serves
JSON-RPC on loopback. A separate client process pre-signs SPL Token transfers of the cluster's
USDC (one signature per sender and amount, so no two are duplicates), then sends them with a
bounded number in flight over keep-alive connections. A transfer counts as confirmed when
``getSignatureStatuses`` (polled by a concurrent confirmer in the same client) shows it
without error; latency is send -> first confirmed sighting. The cluster only acknowledges a
``sendTransaction`` after the durable commit, so the status is queryable from that moment.

In the same run, the same transfers are executed in-process by our runtime and by
solders.litesvm.LiteSVM (the runtime engineer's ``bench.svm_inprocess.run_inprocess``), and
the ratios against the RPC figure are printed. Goal: >= 1,000 confirmed transfers/s over RPC.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SOL = 10 ** 9


def _rpc_body(method: str, params: list, rid: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


async def _call(session: Any, url: str, method: str, params: list) -> Any:
    async with session.post(url, json=_rpc_body(method, params)) as resp:
        reply = await resp.json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


async def _setup(url: str, n_senders: int) -> tuple[list[bytes], str]:
    """Fund ``n_senders`` fresh keys with SOL and USDC (their ATAs are created by the faucet)."""
    import aiohttp
    from solders.keypair import Keypair

    keys = [Keypair() for _ in range(n_senders)]
    async with aiohttp.ClientSession() as s:
        info = await _call(s, url, "anomi_clusterInfo", [])
        sem = asyncio.Semaphore(32)

        async def fund(k: Keypair) -> None:
            async with sem:
                await _call(s, url, "requestAirdrop", [str(k.pubkey()), SOL])
                await _call(s, url, "anomi_requestTokenAirdrop", [str(k.pubkey()), 10 ** 12])
        await asyncio.gather(*(fund(k) for k in keys))
    return [bytes(k) for k in keys], info["usdcMint"]


def _sign_transfers(keys: list[bytes], mint: str, blockhash: str, n: int, first_amount: int = 1
                    ) -> list[tuple[str, str]]:
    """(signature, base64 tx) for ``n`` transfer_checked of 1+ base units between the senders' ATAs."""
    from solders.hash import Hash
    from solders.keypair import Keypair
    from solders.message import Message
    from solders.pubkey import Pubkey
    from solders.transaction import Transaction
    from spl.token.constants import TOKEN_PROGRAM_ID
    from spl.token.instructions import get_associated_token_address, transfer_checked
    from spl.token.models import TransferCheckedParams

    kps = [Keypair.from_bytes(k) for k in keys]
    mint_pk = Pubkey.from_string(mint)
    atas = [get_associated_token_address(k.pubkey(), mint_pk) for k in kps]
    recent = Hash.from_string(blockhash)
    out = []
    for i in range(n):
        s = i % len(kps)
        d = (s + 1 + (i // len(kps)) % (len(kps) - 1)) % len(kps)
        ix = transfer_checked(TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=atas[s], mint=mint_pk,
                                                    dest=atas[d], owner=kps[s].pubkey(), amount=first_amount + i, decimals=6))
        tx = Transaction([kps[s]], Message([ix], kps[s].pubkey()), recent)
        out.append((str(tx.signatures[0]), base64.b64encode(bytes(tx)).decode()))
    return out


async def _client_run(url: str, txs: list[tuple[str, str]], concurrency: int, skip_preflight: bool,
                      batch: int = 1) -> dict:
    import aiohttp

    sent_at: dict[str, float] = {}
    confirmed_at: dict[str, float] = {}
    acked: list[str] = []
    failed: list[str] = []
    done_sending = asyncio.Event()
    it = iter(txs)
    conn = aiohttp.TCPConnector(limit=concurrency + 4)
    async with aiohttp.ClientSession(connector=conn) as s:
        opts = {"encoding": "base64", "skipPreflight": skip_preflight}

        async def sender() -> None:
            while True:
                group = [item for _, item in zip(range(batch), it)]
                if not group:
                    return
                now = time.perf_counter()
                for sig, _ in group:
                    sent_at[sig] = now
                body = [_rpc_body("sendTransaction", [b64, opts], k) for k, (_, b64) in enumerate(group)]
                async with s.post(url, json=body if batch > 1 else body[0]) as resp:
                    replies = await resp.json()
                for (sig, _), reply in zip(group, replies if batch > 1 else [replies]):
                    (acked if "result" in reply else failed).append(sig)

        async def confirmer() -> None:
            pending: list[str] = []
            while True:
                pending.extend(acked)
                acked.clear()
                if not pending:
                    if done_sending.is_set():
                        return
                    await asyncio.sleep(0.002)
                    continue
                chunk, pending = pending[:256], pending[256:]
                statuses = await _call(s, url, "getSignatureStatuses", [chunk])
                now = time.perf_counter()
                for sig, st in zip(chunk, statuses["value"]):
                    if st is not None and st["err"] is None:
                        confirmed_at[sig] = now
                    elif st is not None:
                        failed.append(sig)
                    else:
                        pending.append(sig)

        start = time.perf_counter()
        conf_task = asyncio.create_task(confirmer())
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        done_sending.set()
        await conf_task
    end = max(confirmed_at.values(), default=start)
    lat = sorted((confirmed_at[s] - sent_at[s]) * 1000 for s in confirmed_at)
    return {
        "confirmed": len(confirmed_at), "failed": len(failed), "seconds": end - start,
        "tps": len(confirmed_at) / (end - start) if end > start else 0.0,
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
    }


def _client_process(url: str, keys: list[bytes], mint: str, blockhash: str, n: int, concurrency: int,
                    skip_preflight: bool, batch: int, first_amount: int, out: Any) -> None:
    txs = _sign_transfers(keys, mint, blockhash, n, first_amount)  # signed before the clock starts
    out.put(asyncio.run(_client_run(url, txs, concurrency, skip_preflight, batch)))


# (label, concurrency, skipPreflight, JSON-RPC batch size)
SCENARIOS = [
    ("one request per transfer, preflight on (solana-py default)", 64, False, 1),
    ("JSON-RPC batches of 8, skipPreflight", 16, True, 8),
]


def run_rpc(n: int, senders: int, scenarios: list[tuple[str, int, bool, int]]) -> list[tuple[str, dict]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.integration.localnet_process import start_localnet

    with tempfile.TemporaryDirectory(prefix="anomi-bench-") as tmp:
        node = start_localnet(Path(tmp) / "ledger", services=False)
        try:
            keys, mint = asyncio.run(_setup(node.rpc_url, senders))
            import aiohttp

            async def latest() -> str:
                async with aiohttp.ClientSession() as s:
                    return (await _call(s, node.rpc_url, "getLatestBlockhash", []))["value"]["blockhash"]
            results = []
            for k, (label, concurrency, skip_preflight, batch) in enumerate(scenarios):
                blockhash = asyncio.run(latest())
                ctx = mp.get_context("spawn")
                out = ctx.Queue()
                proc = ctx.Process(target=_client_process, args=(
                    node.rpc_url, keys, mint, blockhash, n, concurrency, skip_preflight, batch, 1 + k * n, out))
                proc.start()
                results.append((label, out.get(timeout=600)))
                proc.join(60)
        finally:
            node.stop()
    return results


def run_inprocess_peers(n: int) -> dict | None:
    try:
        from bench.svm_inprocess import run_inprocess
    except ImportError as exc:
        print(f"(in-process comparison unavailable: {exc})")
        return None
    return run_inprocess(n)


def _tps_of(value: Any) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        for key in ("tps", "transfers_per_s", "per_second"):
            if isinstance(value.get(key), (int, float)):
                return float(value[key])
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transfers", type=int, default=3000, help="transfers per scenario")
    ap.add_argument("--senders", type=int, default=200)
    ap.add_argument("--inprocess", type=int, default=2000, help="transfers for the in-process comparison")
    args = ap.parse_args(argv)

    best = 0.0
    for label, rpc in run_rpc(args.transfers, args.senders, SCENARIOS):
        best = max(best, rpc["tps"])
        print(f"RPC [{label}]: {rpc['confirmed']} confirmed USDC transfers in {rpc['seconds']:.2f}s = "
              f"{rpc['tps']:.0f}/s; latency to confirmation p50 {rpc['p50_ms']:.1f} ms, "
              f"p99 {rpc['p99_ms']:.1f} ms; failed {rpc['failed']}")
    print(f"goal >= 1000 confirmed transfers/s over RPC: {'MET' if best >= 1000 else 'NOT MET'} (best {best:.0f}/s)")
    peers = run_inprocess_peers(args.inprocess)
    if peers:
        print(f"in-process results: {peers}")
        for name, value in peers.items():
            tps = _tps_of(value)
            if tps:
                print(f"ratio RPC(best) / {name}: {best / tps:.3f}  ({name}: {tps:.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

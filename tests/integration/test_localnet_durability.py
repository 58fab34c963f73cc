"""Durability of a real localnet: clean restart keeps state; kill -9 mid-stream loses no
confirmed transaction and leaves none half-applied.
"""
from __future__ import annotations

import asyncio
import random

import aiohttp
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from tests.integration.localnet_client import b64, blockhash, fund, sign
from tests.integration.localnet_process import start_localnet

SOL = 10 ** 9
FEE = 5000


async def test_restart_keeps_state(tmp_path) -> None:
    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        alice = Keypair()
        async with AsyncClient(node.rpc_url) as client:
            sig = await fund(client, alice.pubkey(), 3 * SOL)
            slot_before = (await client.get_slot()).value
    finally:
        assert node.stop() == 0
    assert any("localnet: stopped" in line for line in node.output)
    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        async with AsyncClient(node.rpc_url) as client:
            assert (await client.get_balance(alice.pubkey())).value == 3 * SOL
            assert (await client.get_signature_statuses([sig])).value[0] is not None
            assert (await client.get_slot()).value >= slot_before
    finally:
        node.stop()


async def test_kill9_during_transfers_loses_nothing_confirmed(tmp_path) -> None:
    node = start_localnet(tmp_path / "ledger", services=False)
    senders = [Keypair() for _ in range(8)]
    receivers = [Keypair().pubkey() for _ in range(3)]
    attempted: dict = {}   # signature -> (sender index, receiver index, amount)
    confirmed: set = set()
    rng = random.Random(7)
    try:
        async with AsyncClient(node.rpc_url) as client:
            for s in senders:
                await fund(client, s.pubkey(), 10 * SOL)
            recent = await blockhash(client)

        async def stream(i: int, session: aiohttp.ClientSession) -> None:
            n = 0
            while True:
                r = rng.randrange(len(receivers))
                amount = 1_000_000 + i * 10_000 + n  # rent-exempt; distinct amounts: distinct signatures
                n += 1
                tx = sign([transfer(TransferParams(from_pubkey=senders[i].pubkey(), to_pubkey=receivers[r],
                                                   lamports=amount))], [senders[i]], recent)
                attempted[tx.signatures[0]] = (i, r, amount)
                try:
                    async with session.post(node.rpc_url, json={
                            "jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
                            "params": [b64(tx), {"encoding": "base64"}]}) as resp:
                        reply = await resp.json()
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    return
                if "result" in reply:
                    confirmed.add(tx.signatures[0])

        async with aiohttp.ClientSession() as session:
            tasks = [asyncio.create_task(stream(i, session)) for i in range(len(senders))]
            deadline = asyncio.get_running_loop().time() + 60
            while len(confirmed) < 150 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
            node.kill9()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    finally:
        node.kill9()
    assert len(confirmed) >= 150

    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        async with AsyncClient(node.rpc_url) as client:
            sigs = list(attempted)
            recorded = set()
            for k in range(0, len(sigs), 256):
                chunk = sigs[k:k + 256]
                for sig, status in zip(chunk, (await client.get_signature_statuses(chunk)).value):
                    if status is not None:
                        assert status.err is None
                        recorded.add(sig)
            assert confirmed <= recorded, "a confirmed transaction was lost"
            spent = [0] * len(senders)
            received = [0] * len(receivers)
            for sig in recorded:
                i, r, amount = attempted[sig]
                spent[i] += amount + FEE
                received[r] += amount
            balances = (await client.get_multiple_accounts([s.pubkey() for s in senders] + receivers)).value
            lamports = [0 if a is None else a.lamports for a in balances]
            assert lamports[:len(senders)] == [10 * SOL - x for x in spent], "sender balances do not match history"
            assert lamports[len(senders):] == received, "receiver balances do not match history"
    finally:
        node.stop()

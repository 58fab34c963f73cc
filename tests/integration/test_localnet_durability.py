"""Durability of a real localnet: clean restart keeps state; kill -9 mid-stream loses no
confirmed transaction and leaves none half-applied.

Every wait here has a deadline and a message naming what did not happen: on a busy machine a
slow phase fails this test with the cluster's log instead of hanging the suite.
"""
from __future__ import annotations

import asyncio
import random
from typing import Awaitable, TypeVar

import aiohttp
import pytest
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from tests.integration.localnet_client import b64, blockhash, fund, sign
from tests.integration.localnet_process import LocalnetProcess, start_localnet

SOL = 10 ** 9
FEE = 5000
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=20, sock_connect=5)
T = TypeVar("T")


async def bounded(aw: Awaitable[T], seconds: float, what: str, node: LocalnetProcess | None = None) -> T:
    """``await aw`` for at most ``seconds``; fail with ``what`` (and the cluster's log) otherwise."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        log = f"\ncluster log:\n{node.tail()}" if node is not None else ""
        pytest.fail(f"{what} did not finish within {seconds:.0f}s{log}")


def client_for(node: LocalnetProcess) -> AsyncClient:
    return AsyncClient(node.rpc_url, timeout=15)


async def test_restart_keeps_state(tmp_path) -> None:
    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        alice = Keypair()
        async with client_for(node) as client:
            sig = await bounded(fund(client, alice.pubkey(), 3 * SOL), 120, "airdrop + confirmation", node)
            slot_before = (await client.get_slot()).value
    finally:
        assert node.stop() == 0
    assert any("localnet: stopped" in line for line in node.output)
    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        async with client_for(node) as client:
            assert (await client.get_balance(alice.pubkey())).value == 3 * SOL
            assert (await client.get_signature_statuses([sig])).value[0] is not None
            assert (await client.get_slot()).value >= slot_before
    finally:
        node.stop()


async def _stream_until_killed(node: LocalnetProcess, senders: list[Keypair], receivers: list,
                               attempted: dict, confirmed: set) -> None:
    """8 concurrent senders; SIGKILL the cluster once 150 transfers were confirmed."""
    async with client_for(node) as client:
        for s in senders:
            await bounded(fund(client, s.pubkey(), 10 * SOL), 120, "funding a sender", node)
        recent = await blockhash(client)
    rng = random.Random(7)
    killed = asyncio.Event()

    async def stream(i: int, session: aiohttp.ClientSession) -> None:
        n = 0
        while not killed.is_set():
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
                    reply = await resp.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                if killed.is_set():
                    return
                await asyncio.sleep(0.05)  # a transient error before the kill: keep streaming
                continue
            if "result" in reply:
                confirmed.add(tx.signatures[0])

    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        tasks = [asyncio.create_task(stream(i, session)) for i in range(len(senders))]
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            while len(confirmed) < 150 and loop.time() < deadline and not all(t.done() for t in tasks):
                await asyncio.sleep(0.05)
        finally:
            node.kill9()
            killed.set()
            # Every request in flight now fails fast (connection reset/refused); never wait forever.
            _done, pending = await asyncio.wait(tasks, timeout=HTTP_TIMEOUT.total + 10)
            for t in pending:
                t.cancel()
        assert not pending, f"{len(pending)} senders still waiting on a killed cluster"
        for t in tasks:
            if t.exception() is not None:
                raise t.exception()


async def test_kill9_during_transfers_loses_nothing_confirmed(tmp_path) -> None:
    node = start_localnet(tmp_path / "ledger", services=False)
    senders = [Keypair() for _ in range(8)]
    receivers = [Keypair().pubkey() for _ in range(3)]
    attempted: dict = {}   # signature -> (sender index, receiver index, amount)
    confirmed: set = set()
    try:
        await bounded(_stream_until_killed(node, senders, receivers, attempted, confirmed), 400,
                      "the transfer stream and kill -9", node)
    finally:
        node.kill9()
    assert len(confirmed) >= 150, f"only {len(confirmed)} transfers confirmed before the kill:\n{node.tail()}"

    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        async with client_for(node) as client:
            sigs = list(attempted)
            recorded = set()
            for k in range(0, len(sigs), 256):
                chunk = sigs[k:k + 256]
                statuses = await bounded(client.get_signature_statuses(chunk), 60, "getSignatureStatuses", node)
                for sig, status in zip(chunk, statuses.value):
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


def test_second_cluster_on_a_running_ledger_is_refused(tmp_path) -> None:
    """Two clusters on one ledger would corrupt it; the second one says so and exits."""
    node = start_localnet(tmp_path / "ledger", services=False)
    try:
        with pytest.raises(RuntimeError) as info:
            start_localnet(tmp_path / "ledger", services=False, timeout=120)
        assert "in use by another running localnet" in str(info.value)
        assert node.alive()
    finally:
        node.stop()

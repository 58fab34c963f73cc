"""PubSub (RPC port + 1) against a real localnet, through solana-py's SolanaWsClient.

The typed notifications are parsed by solders, so a shape that differs from Agave's fails here.
"""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.websocket_api import SolanaWsClient
from solders.keypair import Keypair
from solders.rpc.config import RpcTransactionLogsFilterMentions
from solders.rpc.responses import (
    AccountNotification, LogsNotification, ProgramNotification, SignatureNotification, SlotNotification,
)
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import TransferParams, transfer

from tests.integration.localnet_client import blockhash, fund, sign

SOL = 10 ** 9


async def _next(ws: SolanaWsClient, kind: type, timeout: float = 10.0):
    async def loop():
        while True:
            note = await ws.recv()
            if isinstance(note, kind):
                return note
    return await asyncio.wait_for(loop(), timeout)


@pytest.fixture
async def client(localnet):
    async with AsyncClient(localnet.rpc_url) as c:
        yield c


async def test_account_logs_signature_slot_notifications(localnet, client: AsyncClient) -> None:
    alice, bob = Keypair(), Keypair()
    await fund(client, alice.pubkey(), 2 * SOL)
    async with SolanaWsClient(localnet.ws_url) as ws:
        acc_sub = await ws.account_subscribe(pubkey=bob.pubkey(), encoding="base64", commitment="confirmed")
        logs_sub = await ws.logs_subscribe(filter_=RpcTransactionLogsFilterMentions(bob.pubkey()))
        tx = sign([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=SOL))],
                  [alice], await blockhash(client))
        sig_sub = await ws.signature_subscribe(signature=tx.signatures[0], commitment="confirmed")
        await client.send_transaction(tx)
        got: dict[type, object] = {}
        while len(got) < 3:
            note = await asyncio.wait_for(ws.recv(), 10)
            got[type(note)] = note
        acc = got[AccountNotification]
        assert acc.subscription == acc_sub.subscription_id and acc.result.value.lamports == SOL
        logs = got[LogsNotification]
        assert logs.subscription == logs_sub.subscription_id
        assert logs.result.value.signature == tx.signatures[0] and logs.result.value.err is None
        assert any("invoke [1]" in line for line in logs.result.value.logs)
        sig = got[SignatureNotification]
        assert sig.subscription == sig_sub.subscription_id and sig.result.value.err is None
        slot_sub = await ws.slot_subscribe()
        slot = await _next(ws, SlotNotification)
        assert slot.subscription == slot_sub.subscription_id and slot.result.slot > slot.result.parent
        await ws.unsubscribe(acc_sub)
        await ws.unsubscribe(slot_sub)


async def test_program_subscription_with_filter(localnet, client: AsyncClient) -> None:
    payer = Keypair()
    await fund(client, payer.pubkey(), SOL)
    target = Keypair()
    async with SolanaWsClient(localnet.ws_url) as ws:
        sub = await ws.program_subscribe(program_id=SYSTEM_PROGRAM_ID, encoding="base64", filters=[0])
        tx = sign([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=target.pubkey(), lamports=1_000_000))],
                  [payer], await blockhash(client))
        await client.send_transaction(tx)
        seen = set()
        while str(target.pubkey()) not in seen:
            note = await _next(ws, ProgramNotification)
            assert note.subscription == sub.subscription_id
            seen.add(str(note.result.value.pubkey))
        await ws.unsubscribe(sub)


async def test_already_processed_signature_and_received_notification(localnet, client: AsyncClient) -> None:
    alice = Keypair()
    sig = await fund(client, alice.pubkey(), SOL)
    async with SolanaWsClient(localnet.ws_url) as ws:
        sub = await ws.signature_subscribe(signature=sig)
        note = await _next(ws, SignatureNotification)  # delivered at once: it already landed
        assert note.subscription == sub.subscription_id and note.result.value.err is None
    # raw protocol: receivedSignature first, then the one-shot processed notification; ping ignored
    tx = sign([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))],
              [alice], await blockhash(client))
    async with aiohttp.ClientSession() as s, s.ws_connect(localnet.ws_url) as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "method": "ping"}))
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": "a", "method": "signatureSubscribe",
                                      "params": [str(tx.signatures[0]), {"enableReceivedNotification": True}]}))
        reply = json.loads((await ws.receive(timeout=10)).data)
        assert reply["id"] == "a" and isinstance(reply["result"], int)
        await client.send_transaction(tx)
        first = json.loads((await ws.receive(timeout=10)).data)
        second = json.loads((await ws.receive(timeout=10)).data)
        assert first["params"]["result"]["value"] == "receivedSignature"
        assert second["params"]["result"]["value"] == {"err": None}
        assert set(second["params"]["result"]["context"]) == {"slot"}
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "signatureUnsubscribe",
                                      "params": [reply["result"]]}))
        gone = json.loads((await ws.receive(timeout=10)).data)
        assert gone == {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid subscription id."}, "id": 9}
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 10, "method": "accountSubscribe", "params": ["xx"]}))
        bad = json.loads((await ws.receive(timeout=10)).data)
        assert bad["error"] == {"code": -32602, "message": "Invalid Request: Invalid pubkey provided"}
        await ws.send_str("{not json")
        assert json.loads((await ws.receive(timeout=10)).data)["error"]["code"] == -32700

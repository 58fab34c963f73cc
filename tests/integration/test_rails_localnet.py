"""The rail that `anomi localnet up` starts is reachable at the advertised URL, keeps its
notary key in <ledger>/rails, pays and signs receipts with that key."""
from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
import urllib.request

import aiohttp
from aiohttp import web
from solders.keypair import Keypair

from localnet.rails.client import RailClient
from localnet.rails.clock import RailClock
from localnet.rails.notary import notary_public_key
from localnet.rpc.child_guard import guarded
from localnet.services import rails_port
from protocol.attestation import SignedReceipt
from protocol.wallet_link import link_message
from tests.integration.rails_process import ANOMI


def rpc(url: str, method: str, params: list | None = None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        reply = json.load(resp)
    assert "error" not in reply, reply
    return reply["result"]


def test_cluster_starts_the_rail_on_its_ledger(localnet):
    info = rpc(localnet.rpc_url, "anomi_clusterInfo")
    assert info["railUrl"] == f"http://127.0.0.1:{rails_port(localnet.rpc_port)}"
    client = RailClient(info["railUrl"])
    published = client.notary()
    key = notary_public_key(localnet.ledger_dir / "rails")
    assert (int(published["x"]), int(published["y"])) == key

    # and the cluster's rail really pays and signs
    payer, payee = ("0345-8800001", "cluster-payer"), ("0300-8800002", "cluster-payee")
    client.open_account(payer[0], "Farzan", payer[1])
    client.open_account(payee[0], "Ali", payee[1])
    client.top_up(payer, 2_850_000)
    paid = client.transfer(payer, payee[0], 2_850_000, "cluster-1", "order 1")
    signed = SignedReceipt.from_json(client.receipt(payer, paid["payment_id"])["receipt"])
    assert signed.verify() and signed.notary_public_key == key
    client.close()


async def test_rail_clock_reads_the_cluster_clock(localnet):
    """The real Clock sysvar parses to the cluster's unix time (wall time unless warped)."""
    clock = RailClock(localnet.rpc_url)
    async with aiohttp.ClientSession() as session:
        cluster = await clock.cluster_time(session)
        await clock.sync_once(session)
    assert abs(cluster - time.time()) < 30
    assert clock.offset >= 0 and abs(clock.now() - max(cluster, int(time.time()))) <= 2


async def test_rail_stamps_follow_a_warped_cluster_clock(tmp_path):
    """A cluster 1 day ahead (as after `warp_clock`) makes attestations and receipts carry
    cluster time, so on-chain freshness checks accept them. The warp is not reachable over RPC,
    so a one-method JSON-RPC peer serves a Clock sysvar in the real 40-byte layout."""
    ahead = int(time.time()) + 86_400

    async def rpc_handler(request: web.Request) -> web.Response:
        data = struct.pack("<QqQQq", 1, ahead, 0, 0, ahead)
        return web.json_response({"jsonrpc": "2.0", "id": 1, "result": {
            "context": {"slot": 1}, "value": {"data": [base64.b64encode(data).decode(),
                                                      "base64"]}}})

    app = web.Application()
    app.router.add_post("/", rpc_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    # guarded: the rail dies with the test run; every wait below has a deadline
    proc = await asyncio.create_subprocess_exec(
        *guarded([ANOMI, "rails", "up", "--port", "0", "--data", str(tmp_path / "rail"), "--cluster-rpc", url]),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert "http://" in line, f"the rail did not report ready: {line!r}"
        rail_url = "http://" + line.split("http://", 1)[1].split()[0]
        client = RailClient(rail_url)
        auth = ("0345-8800009", "warp-credential")
        await asyncio.to_thread(client.open_account, auth[0], "Warp", auth[1])
        await asyncio.to_thread(client.top_up, auth, 10)
        wallet = Keypair()
        key_hash = int((await asyncio.to_thread(client.notary))["key_hash"])
        sig = bytes(wallet.sign_message(link_message(auth[0], str(wallet.pubkey()), key_hash)))
        await asyncio.to_thread(client.link_wallet, auth, str(wallet.pubkey()), sig)
        doc = await asyncio.to_thread(client.balance_attestation, auth, str(wallet.pubkey()))
        entry = (await asyncio.to_thread(client.statement, auth))["entries"][0]
        client.close()
        assert ahead <= doc["timestamp"] <= ahead + 10
        assert ahead <= entry["timestamp"] <= ahead + 10
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except asyncio.TimeoutError:
                proc.kill()
                await asyncio.wait_for(proc.wait(), 15)
        await runner.cleanup()

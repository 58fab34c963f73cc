"""The rail that `anomi localnet up` starts is reachable at the advertised URL, keeps its
notary key in <ledger>/rails, pays and signs receipts with that key."""
from __future__ import annotations

import json
import time
import urllib.request

import aiohttp
from solders.keypair import Keypair

from localnet.rails.client import RailClient
from localnet.rails.clock import RailClock
from localnet.rails.notary import notary_public_key
from localnet.services import rails_port
from protocol.attestation import SignedReceipt
from protocol.wallet_link import link_message


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


def test_rail_stamps_follow_a_warped_cluster_clock(warp_localnet):
    """The cluster's own `anomi_warpClock` moves it a day ahead: the rail it started follows the
    Clock sysvar, so attestations and statement entries carry cluster time and on-chain
    freshness checks accept them (a rail stamping wall time would be a day stale)."""
    node = warp_localnet
    client = RailClient(rpc(node.rpc_url, "anomi_clusterInfo")["railUrl"])
    try:
        auth = ("0345-8800009", "warp-credential")
        client.open_account(auth[0], "Warp", auth[1])
        wallet = Keypair()
        key_hash = int(client.notary()["key_hash"])
        client.link_wallet(auth, str(wallet.pubkey()),
                           bytes(wallet.sign_message(link_message(auth[0], str(wallet.pubkey()), key_hash))))
        ahead = rpc(node.rpc_url, "anomi_warpClock", [86_400])["unixTimestamp"]
        assert ahead >= time.time() + 86_400 - 60
        # the rail re-reads the Clock about once a second; wait (bounded) for its first stamp after
        deadline = time.monotonic() + 30
        while (doc := client.balance_attestation(auth, str(wallet.pubkey())))["timestamp"] < ahead:
            assert time.monotonic() < deadline, f"the rail still stamps {doc['timestamp']} < {ahead}"
            time.sleep(0.25)
        assert ahead <= doc["timestamp"] <= ahead + 30
        client.top_up(auth, 10)
        entries = client.statement(auth)["entries"]
        assert entries and all(ahead <= e["timestamp"] <= ahead + 30 for e in entries)
    finally:
        client.close()

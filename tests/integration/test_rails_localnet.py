"""The rail that `anomi localnet up` starts is reachable at the advertised URL, keeps its
notary key in <ledger>/rails, pays and signs receipts with that key."""
from __future__ import annotations

import json
import urllib.request

from localnet.rails.client import RailClient
from localnet.rails.notary import notary_public_key
from localnet.services import rails_port
from protocol.attestation import SignedReceipt


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

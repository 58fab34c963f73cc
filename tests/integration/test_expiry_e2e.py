"""A matched order that is never settled, end to end over RPC with the cluster clock warped 24 h.

Real `anomi localnet up` (programs, rail, notary, MXE node) started with --allow-clock-warp, a
real payee directory, two wallets driven through `anomi` commands, a real solvency proof for the
bid. The buyer even pays and proves in time, but does not finalize; after `anomi_warpClock`
moves the Clock 24 h + 1 s forward: the rail stamps the warped time, finalize is refused,
`reclaim` (reclaim_expired on chain) returns the escrow to the seller, the record is Expired,
and nothing can finalize or reclaim it again.
"""
from __future__ import annotations

import asyncio
import base64
import struct
import time
from pathlib import Path

import pytest

from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_client import raw_rpc
from tests.integration.localnet_process import LocalnetProcess
from tests.integration.test_cli_zkp2p import vault_balance

DAY = 24 * 3600
CLOCK = "SysvarC1ock11111111111111111111111111111111"


def rpc(node: LocalnetProcess, method: str, params: list) -> dict:
    return asyncio.run(asyncio.wait_for(raw_rpc(node.rpc_url, method, params), 30))


def cluster_time(node: LocalnetProcess) -> int:
    value = rpc(node, "getAccountInfo", [CLOCK, {"encoding": "base64"}])["result"]["value"]
    return struct.unpack_from("<q", base64.b64decode(value["data"][0]), 32)[0]


def record(wallet: CliWallet, order: int) -> dict:
    return next(r for r in wallet.ok("queue")["records"] if r["order_id"] == order)


def test_unsettled_order_expires_and_the_seller_reclaims(warp_localnet: LocalnetProcess, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANOMI_PASSWORD", "expiry pw")
    monkeypatch.setenv("ANOMI_RPC_URL", warp_localnet.rpc_url)
    monkeypatch.delenv("ANOMI_DIRECTORY_URL", raising=False)  # the cluster's own directory
    expire_and_reclaim(warp_localnet, tmp_path)


def expire_and_reclaim(warp_localnet: LocalnetProcess, root: Path) -> None:
    seller, buyer = CliWallet("exp-seller", root), CliWallet("exp-buyer", root)
    seller_addr = seller.ok("wallet", "create", "--words", "12")["address"]
    buyer.ok("wallet", "create", "--words", "12")
    seller.ok("faucet", "--sol", "1", "--usdc", "10")
    buyer.ok("faucet", "--sol", "1")
    seller.ok("rail", "open", "--handle", "0345-2424240", "--name", "Sana")
    buyer.ok("rail", "open", "--handle", "0300-2424241", "--name", "Bilal")
    buyer.ok("rail", "topup", "5000")

    vault_before = vault_balance(warp_localnet)
    seller.ok("ask", "--size", "10", "--price", "285")
    assert seller.ok("balance")["usdc_base_units"] == 0
    bid = buyer.ok("bid", "--size", "10", "--price", "285")   # real solvency proof
    assert bid["filled"] == 10_000_000 and len(bid["matched_order_ids"]) == 1
    order = bid["matched_order_ids"][0]
    rec = record(seller, order)
    assert (rec["status"], rec["seller"], rec["expires_at"] - rec["matched_at"]) == ("Pending", seller_addr, DAY)
    assert "expires in" in seller.refused("reclaim", str(order))   # not before the 24 h
    buyer.ok("pay", str(order))
    buyer.ok("prove-payment", str(order))   # proven in time, but never finalized

    # ---- 24 h + 1 s later (by the cluster's clock)
    warped = rpc(warp_localnet, "anomi_warpClock", [rec["expires_at"] - cluster_time(warp_localnet) + 1])
    assert warped["result"]["unixTimestamp"] >= rec["expires_at"] + 1
    assert cluster_time(warp_localnet) >= rec["expires_at"] + 1
    # the rail follows the cluster clock (it polls the Clock sysvar about once a second)
    deadline = time.monotonic() + 20
    while buyer.ok("rail", "attest")["attestation"]["timestamp"] < warped["result"]["unixTimestamp"]:
        assert time.monotonic() < deadline, "the rail's clock did not follow the warped cluster clock"
        time.sleep(0.5)

    rec = record(buyer, order)
    assert rec["status"] == "Pending" and rec["seconds_left"] == 0 and rec["reclaimable"]
    assert "expired" in buyer.refused("finalize", str(order))
    reclaimed = seller.ok("reclaim", str(order))
    assert (reclaimed["amount"], reclaimed["seller"]) == (10_000_000, seller_addr)
    assert seller.ok("balance")["usdc_base_units"] == 10_000_000
    assert vault_balance(warp_localnet) == vault_before
    assert record(seller, order)["status"] == "Expired"
    # final: neither side can move the escrow again
    assert "Expired" in buyer.refused("finalize", str(order))
    assert "nothing to reclaim" in seller.refused("reclaim", str(order))
    assert buyer.ok("balance")["usdc_base_units"] == 0
    # archiving: the Expired record leaves the live queue (`anomi queue --prune`), and every
    # command that reads it by id still finds it (now in its ArchivedOrder account)
    pruned = buyer.ok("queue", "--prune")
    assert order in pruned["archived"] and order not in [r["order_id"] for r in pruned["records"]]
    assert "Expired" in buyer.refused("finalize", str(order))
    assert "nothing to reclaim" in seller.refused("reclaim", str(order))
    assert seller.ok("balance")["usdc_base_units"] == 10_000_000 and vault_balance(warp_localnet) == vault_before

"""Seed 003 through `anomi deal ...` only: a creator and three offeror wallets, the real localnet
process with its MXE node. Submission (greedy FIFO fill computed under encryption), the deal's
early crank by its controller once fully filled, each offeror's crank, and every party's
decrypted result, which only that party can read.

Deal: sell 1,000 at >= 1.5. Offers in order: A 400 at 1.6 (fills 400), B 500 at 1.4 (price
fails: 0), C 800 at 1.5 (fills the remaining 600). Creator receives (1000 * 1.5·2^64) >> 64 = 1,500.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_process import LocalnetProcess
from tests.unit.secret_scan import leaks, wallet_secrets


@pytest.fixture(scope="module")
def env(localnet: LocalnetProcess, tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ANOMI_PASSWORD", "cli otc pw")
    mp.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    yield tmp_path_factory.mktemp("cli-otc")
    mp.undo()


def test_seed_003_private_deal_through_the_cli(env: Path) -> None:
    creator = CliWallet("creator", env)
    offerors = {name: CliWallet(name, env) for name in ("a", "b", "c")}
    for w in (creator, *offerors.values()):
        w.ok("wallet", "create", "--words", "12")
        w.ok("faucet", "--sol", "1")

    deal = creator.ok("deal", "create", "--amount", "1000", "--price", "1.5", "--expires-in", "3600")
    assert (deal["amount"], deal["price"]) == (1000, "1.5")  # the MXE's sealed confirmation
    address = deal["deal"]

    plan = {"a": ("400", "1.6"), "b": ("500", "1.4"), "c": ("800", "1.5")}
    offers = {}
    for name, (amount, price) in plan.items():
        out = offerors[name].ok("deal", "offer", address, "--amount", amount, "--price", price)
        assert (out["amount"], out["price"]) == (int(amount), price)
        offers[name] = out["offer"]

    listed = {r["deal"]: r for r in offerors["a"].ok("deal", "list")["deals"]}
    assert listed[address]["num_offers"] == 3 and listed[address]["role"] == "offeror"
    assert listed[address]["status"] == "OPEN"

    # offers cannot be cranked before the deal; a stranger cannot crank before expiry
    assert "only its controller" in offerors["b"].refused("deal", "crank", address)

    # the controller cranks early: fully filled, so the deal executes
    cranked = creator.ok("deal", "crank", address, "--offers", "none")
    assert cranked["status"] == "EXECUTED"
    assert cranked["deal_crank"]["settled"] == {
        "total_filled": 1000, "creator_receives": 1500, "creator_refund": 0}

    expected = {"a": ("EXECUTED", 400, 0), "b": ("FAILED", 0, 500), "c": ("PARTIAL", 600, 200)}
    for name, wallet in offerors.items():
        out = wallet.ok("deal", "crank", address)
        assert [o["offer"] for o in out["offers"]] == [offers[name]]
        res = out["offers"][0]["result"]
        assert (res["outcome"], res["executed_amt"], res["refund_amt"]) == expected[name]

    # results stay readable to their owner only: the creator's view holds no offeror figures
    shown = creator.ok("deal", "show", address)
    assert shown["status"] == "EXECUTED" and [o["status"] for o in shown["offers"]] == ["SETTLED"] * 3
    assert set(shown["mine"]) == {address}
    assert shown["mine"][address]["settled"]["creator_receives"] == 1500
    mine_c = offerors["c"].ok("deal", "show", address)["mine"]
    assert set(mine_c) == {offers["c"]} and mine_c[offers["c"]]["settled"]["executed_amt"] == 600

    # close: each offeror its offer, then the creator the deal (rent back)
    assert "EXECUTED, not OPEN" in creator.refused("deal", "offer", address, "--amount", "1",
                                                   "--price", "2")
    for name, wallet in offerors.items():
        assert wallet.ok("deal", "close", address)["closed"] == [offers[name]]
    assert creator.ok("deal", "close", address)["closed"] == [address]
    assert address not in {r["deal"] for r in creator.ok("deal", "list")["deals"]}

    # after the whole session, no secret of any of the four wallets is in its data directory
    for wallet in (creator, *offerors.values()):
        secrets = wallet_secrets(wallet.data_dir / "wallets" / "default.keystore", "cli otc pw")
        assert [k for k in secrets if k.startswith("x25519 identity ")]  # the deal used identities
        assert leaks(wallet.data_dir, secrets) == []


def test_early_crank_of_an_unfilled_deal_is_rejected(env: Path) -> None:
    creator = CliWallet("creator", env)
    deal = creator.ok("deal", "create", "--amount", "500", "--price", "2", "--expires-in", "3600")["deal"]
    out = creator.ok("deal", "crank", deal)
    assert out["status"] == "OPEN" and out["deal_crank"]["result"] == "rejected"
    assert creator.ok("deal", "show", deal)["status"] == "OPEN"

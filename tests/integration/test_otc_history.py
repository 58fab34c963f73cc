"""Sealed OTC results recovered from chain history, through `anomi deal ...` on the real localnet
with its MXE node.

Offeror A offers on a deal and goes away. The deal's controller cranks the deal *and A's offer*
(`--offers all`), so the callback that seals A's result is one A's wallet never waited for.
Later `anomi deal show` in A's wallet finds it in the deal's history (getSignaturesForAddress +
getTransaction), opens it with A's identity and keeps it. A wallet restored from A's phrase
alone (no notes, no identity records) recovers both A's confirmation and its settlement; the
controller's wallet never learns A's figures.
"""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_process import LocalnetProcess
from wallet.core.config import WalletConfig
from wallet.core.deal_service import SYNC_NOTES
from wallet.core.keystore import Keystore


@pytest.fixture
def env(localnet: LocalnetProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANOMI_PASSWORD", "otc history pw")
    monkeypatch.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    return tmp_path


def test_offer_cranked_by_someone_else_is_recovered_from_history(env: Path, localnet: LocalnetProcess,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    controller, a = CliWallet("controller", env), CliWallet("offeror-a", env)
    controller.ok("wallet", "create", "--words", "12")
    phrase = a.ok("wallet", "create", "--words", "12")["mnemonic"]
    for w in (controller, a):
        w.ok("faucet", "--sol", "1")
    deal = controller.ok("deal", "create", "--amount", "700", "--price", "2", "--expires-in", "3600")["deal"]
    offer = a.ok("deal", "offer", deal, "--amount", "700", "--price", "2.5")["offer"]
    before = a.ok("deal", "show", deal)["mine"]
    assert set(before) == {offer} and "settled" not in before[offer]   # only the confirmation so far

    # A's wallet is not running; the controller settles the deal and cranks every offer, A's too
    cranked = controller.ok("deal", "crank", deal, "--offers", "all")
    assert cranked["status"] == "EXECUTED" and [o["offer"] for o in cranked["offers"]] == [offer]
    assert "result" not in cranked["offers"][0]   # sealed to A: the controller cannot open it

    shown = a.ok("deal", "show", deal)
    assert [o["status"] for o in shown["offers"]] == ["SETTLED"] and "history_error" not in shown
    mine = shown["mine"][offer]
    assert mine["settled"] == {"outcome": "EXECUTED", "executed_amt": 700, "refund_amt": 0}
    assert (mine["role"], mine["amount"], mine["deal"]) == ("offeror", 700, deal)
    assert a.ok("deal", "show", deal)["mine"] == shown["mine"]   # idempotent: nothing new on a re-read
    # how far the history was read is kept (encrypted, in the keystore): the next `show` in a new
    # process reads only newer transactions
    request = {"jsonrpc": "2.0", "id": 1, "method": "getSignaturesForAddress", "params": [deal, {"limit": 1}]}
    with urllib.request.urlopen(urllib.request.Request(
            localnet.rpc_url, json.dumps(request).encode(), {"Content-Type": "application/json"}), timeout=30) as r:
        newest = json.loads(r.read())["result"][0]["signature"]
    keystore = Keystore.unlock(WalletConfig.load(a.data_dir).wallet_path(None), "otc history pw")
    assert keystore.notes(SYNC_NOTES)[deal]["signature"] == newest
    # nothing of A's reached the controller's wallet
    assert set(controller.ok("deal", "show", deal)["mine"]) == {deal}

    # a wallet restored from A's phrase (new data dir: no notes, no identity records) recovers all
    restored = CliWallet("offeror-a-restored", env)
    monkeypatch.setenv("ANOMI_MNEMONIC", phrase)
    restored.ok("wallet", "import", "--phrase")
    monkeypatch.delenv("ANOMI_MNEMONIC")
    again = restored.ok("deal", "show", deal)["mine"]
    assert set(again) == {offer}
    assert again[offer]["settled"] == mine["settled"]
    assert (again[offer]["amount"], again[offer]["price"]) == (700, mine["price"])

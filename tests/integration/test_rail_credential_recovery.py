"""The wallet's rail login cannot be lost: write-ahead credential, idempotent open, seed restore.

Why real processes killed with SIGKILL: the failure this guards against is a crash between the
rail opening the account and the wallet saving the credential, which used to lose the login
for ever (a retry got `account_exists`). Each step of `anomi rail open` has a crash point
(wallet/core/crash_points.py, `ANOMI_TEST_CRASH_AT`); the test kills a real `anomi` process at
each one, then shows a plain retry links the same account. The credential is derived from the
seed (wallet/core/rail_credentials.py), so deleting the data directory and restoring the wallet
from its phrase finds the same rail account and balance.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess

import pytest

from wallet.cli import anomi_argv
from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_process import REPO_ROOT, LocalnetProcess
from wallet.core.crash_points import ENV as CRASH_ENV
from wallet.core.config import WalletConfig
from wallet.core.keystore import Keystore

PASSWORD = "rail recovery pw"
STEPS = ["rail-open:credential-saved", "rail-open:account-opened", "rail-open:commitment-fetched"]


@pytest.fixture(scope="module")
def root(localnet: LocalnetProcess, tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ANOMI_PASSWORD", PASSWORD)
    mp.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    yield tmp_path_factory.mktemp("rail-recovery")
    mp.undo()


def new_handle() -> str:
    return f"0333-{secrets.randbelow(10**7):07d}"


def rail_note(wallet: CliWallet) -> dict:
    return Keystore.unlock(WalletConfig.load(wallet.data_dir).wallet_path(), PASSWORD).notes("rail")


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_each_step_of_rail_open_then_retry_links_the_same_account(root, step: str) -> None:
    wallet = CliWallet(f"crash-{step.split(':')[1]}", root)
    wallet.ok("wallet", "create", "--words", "12")
    handle = new_handle()
    env = dict(os.environ, ANOMI_DATA_DIR=str(wallet.data_dir), **{CRASH_ENV: step})
    proc = subprocess.run(anomi_argv("rail", "open", "--handle", handle, "--name", "Kasim", "--json"),
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    note = rail_note(wallet)
    assert note["handle"] == handle and note["credential"]  # written ahead, survived the kill
    assert "commitment" not in note
    # half-open: commands that need the account say so instead of failing obscurely
    assert "did not finish" in wallet.refused("rail", "balance")
    opened = wallet.ok("rail", "open", "--handle", handle, "--name", "Kasim")
    assert opened["handle"] == handle and int(opened["commitment"]) > 0
    assert rail_note(wallet)["credential"] == note["credential"]
    assert wallet.ok("rail", "topup", "12.5")["balance_paisa"] == 1250
    assert wallet.ok("rail", "balance")["balance_paisa"] == 1250
    assert "already operates" in wallet.refused("rail", "open", "--handle", handle, "--name", "Kasim")


def test_restore_from_the_seed_phrase_finds_the_same_rail_account(root) -> None:
    original = CliWallet("restore", root)
    mnemonic = original.ok("wallet", "create", "--words", "12")["mnemonic"]
    handle = new_handle()
    opened = original.ok("rail", "open", "--handle", handle, "--name", "Rubina")
    original.ok("rail", "topup", "750")
    before = original.ok("rail", "balance")
    assert before["balance_paisa"] == 75_000

    shutil.rmtree(original.data_dir)  # the machine is gone; the phrase is on paper
    restored = CliWallet("restore", root)
    os.environ["ANOMI_MNEMONIC"] = mnemonic
    try:
        restored.ok("wallet", "import", "--phrase")
    finally:
        del os.environ["ANOMI_MNEMONIC"]
    with pytest.raises(AssertionError):
        restored.ok("rail", "balance")  # the new keystore has no rail note yet
    again = restored.ok("rail", "open", "--handle", handle, "--name", "Rubina")
    assert again["commitment"] == opened["commitment"] and again["handle"] == handle
    assert restored.ok("rail", "balance")["balance_paisa"] == before["balance_paisa"]
    # the phrase can prove it, another wallet cannot take the account over
    stranger = CliWallet("stranger", root)
    stranger.ok("wallet", "create", "--words", "12")
    assert "is not this wallet's" in stranger.refused("rail", "open", "--handle", handle, "--name", "Thief")
    assert rail_note(stranger) == {}
    assert restored.ok("rail", "balance")["balance_paisa"] == before["balance_paisa"]

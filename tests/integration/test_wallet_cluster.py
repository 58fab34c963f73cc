"""The wallet against a real `anomi localnet up` process, over JSON-RPC/PubSub only:
faucet and balance commands, the live balance service, and the shared embedded cluster."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from tests.integration.localnet_process import LocalnetProcess, free_port_block, stop_process_tree
from wallet.cli import main
from wallet.core.balances import BalanceService, fetch_cluster_info
from wallet.core.cluster import ClusterError, ensure_local_cluster, is_healthy
from wallet.core.config import ClusterProfile, localnet_profile, ws_url_for
from wallet.core.events import BalanceChanged, EventBus, SlotChanged
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.keystore import KdfParams, Keystore

PHRASE = "travel corn search rail abuse nominee ticket captain such garden club climb"


async def stop_started_cluster(root: Path, port: int) -> None:
    """ensure_local_cluster starts the cluster detached (it outlives a wallet by design): stop it
    and its side services here, or they would outlive the test run."""
    pid_file = root / f"localnet-{port}.pid"
    if pid_file.exists():
        await asyncio.to_thread(stop_process_tree, int(pid_file.read_text()))


def profile_for(node: LocalnetProcess) -> ClusterProfile:
    return ClusterProfile("test", node.rpc_url, node.ws_url).validated()


@pytest.fixture
def wallet_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, localnet: LocalnetProcess) -> Path:
    monkeypatch.setenv("ANOMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANOMI_PASSWORD", "integration pw")
    monkeypatch.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    return tmp_path / "data"


def cli_json(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_faucet_then_balance_through_cli(wallet_env: Path, capsys, localnet) -> None:
    created = cli_json(capsys, "wallet", "create", "--words", "12")
    out = cli_json(capsys, "faucet", "--sol", "1.25", "--usdc", "42.5")
    assert out["address"] == created["address"] and out["sol_signature"] and out["usdc_signature"]
    bal = cli_json(capsys, "balance")
    assert (bal["lamports"], bal["usdc_base_units"], bal["usdc_mint"]) == (
        1_250_000_000, 42_500_000, localnet.usdc_mint)
    other = cli_json(capsys, "balance", "--address", str(Pubkey.new_unique()))
    assert (other["lamports"], other["usdc_base_units"]) == (0, 0)
    assert main(["faucet", "--usdc", "0.0000001"]) == 2
    assert "more than 6 decimal places" in capsys.readouterr().err


def test_cli_reports_unreachable_cluster(wallet_env: Path, capsys, monkeypatch) -> None:
    port = free_port_block(2)
    monkeypatch.setenv("ANOMI_RPC_URL", f"http://127.0.0.1:{port}")
    assert main(["balance", "--address", str(Pubkey.new_unique())]) == 2
    assert "no cluster answers" in capsys.readouterr().err


async def test_cluster_info_and_live_balance_events(localnet: LocalnetProcess, tmp_path: Path) -> None:
    info = await fetch_cluster_info(localnet.rpc_url)
    assert info is not None and info["usdcMint"] == localnet.usdc_mint
    ks = Keystore.create(tmp_path / "w", "integration pw", mnemonic=PHRASE, kdf=KdfParams.fresh(1, 8 << 20))
    owner = ks.accounts()[0].pubkey
    bus = EventBus()
    balances: list[BalanceChanged] = []
    slots: list[int] = []
    bus.subscribe(BalanceChanged, balances.append)
    bus.subscribe(SlotChanged, lambda e: slots.append(e.slot))
    service = BalanceService(profile_for(localnet), bus, poll_interval=30.0)  # PubSub must do the work
    await service.start(owner)
    try:
        async def until(pred, timeout=20.0):
            while not pred():
                await asyncio.sleep(0.05)
        await asyncio.wait_for(until(lambda: balances), 20)
        await airdrop_sol(localnet.rpc_url, owner, 3_000_000_000)
        await asyncio.wait_for(until(lambda: balances[-1].lamports == 3_000_000_000), 20)
        await airdrop_usdc(localnet.rpc_url, owner, 7_000_000)
        await asyncio.wait_for(until(lambda: balances[-1].usdc == 7_000_000), 20)
        await asyncio.wait_for(until(lambda: len(slots) >= 3), 20)
        assert slots == sorted(slots) and len(set(slots)) == len(slots)
        assert balances[-1].usdc_mint == localnet.usdc_mint
    finally:
        await service.stop()


async def test_ensure_local_cluster_starts_one_shared_cluster(tmp_path: Path) -> None:
    """Two wallets find nothing answering at once: exactly one starts the embedded cluster."""
    port = free_port_block()
    profile = localnet_profile(port)
    assert ws_url_for(profile.rpc_url) == profile.ws_url
    root = tmp_path / "data"
    ledger = tmp_path / "ledger"
    try:
        results = await asyncio.gather(
            ensure_local_cluster(profile, root=root, ledger_dir=ledger, timeout=180),
            ensure_local_cluster(profile, root=root, ledger_dir=ledger, timeout=180))
        assert sorted(results) == [False, True]
        assert await is_healthy(profile.rpc_url)
        assert await ensure_local_cluster(profile, root=root, ledger_dir=ledger) is False
        info = await fetch_cluster_info(profile.rpc_url)
        assert info is not None and info["usdcMint"]
    finally:
        await stop_started_cluster(root, port)


async def test_remote_profile_is_never_started(tmp_path: Path) -> None:
    port = free_port_block(2)
    profile = ClusterProfile("remote", f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port + 1}")
    with pytest.raises(ClusterError, match="no cluster answers"):
        await ensure_local_cluster(profile, root=tmp_path)
    assert not (tmp_path / f"localnet-{port}.pid").exists()


def _make_stale_ledger(ledger: Path) -> None:
    """A ledger whose genesis predates a hook this version needs (as after an upgrade)."""
    import sqlite3

    from localnet import genesis
    from localnet.bank import LEDGER_FILE, Bank

    Bank(ledger).close()
    db = sqlite3.connect(str(ledger / LEDGER_FILE))
    db.execute("UPDATE meta SET value=? WHERE key='genesis_hooks'", (json.dumps(genesis.hook_names()[:1]),))
    db.commit()
    db.close()


async def test_a_refused_ledger_says_why_and_reset_recreates_it(tmp_path: Path) -> None:
    """The cluster's own reason (not "exited with code 2") heads the error; reset=True is the fix."""
    port = free_port_block()
    profile = localnet_profile(port)
    root, ledger = tmp_path / "data", tmp_path / "ledger"
    _make_stale_ledger(ledger)
    try:
        with pytest.raises(ClusterError) as refused:
            await ensure_local_cluster(profile, root=root, ledger_dir=ledger, timeout=120)
        first_line = str(refused.value).splitlines()[0]
        assert "did not start" in first_line and "older ANOMI" in first_line and "--reset" in first_line
        assert not await is_healthy(profile.rpc_url)
        assert await ensure_local_cluster(profile, root=root, ledger_dir=ledger, timeout=120, reset=True)
        info = await fetch_cluster_info(profile.rpc_url)
        assert info is not None and info["usdcMint"]
    finally:
        await stop_started_cluster(root, port)

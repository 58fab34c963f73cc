"""Wallet settings and cluster profiles: defaults, validation, atomic persistence."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from wallet.core.config import (
    DEFAULT_RAIL_URL, DEFAULT_RPC_URL, DEFAULT_WS_URL, LOCALNET, ClusterProfile, ConfigError,
    WalletConfig, data_dir, localnet_profile, ws_url_for)


def test_defaults_are_the_embedded_localnet(tmp_path: Path) -> None:
    cfg = WalletConfig.load(tmp_path)
    p = cfg.profile()
    assert (p.name, p.rpc_url, p.ws_url, p.rail_url, p.embedded) == (
        LOCALNET, DEFAULT_RPC_URL, DEFAULT_WS_URL, DEFAULT_RAIL_URL, True)
    assert not (tmp_path / "config.json").exists()  # loading writes nothing


def test_localnet_on_other_port_moves_ws_and_rail() -> None:
    p = localnet_profile(9100)
    assert (p.rpc_url, p.ws_url, p.rail_url, p.rpc_port) == (
        "http://127.0.0.1:9100", "ws://127.0.0.1:9101", "http://127.0.0.1:9111", 9100)


def test_ws_url_convention() -> None:
    assert ws_url_for("https://api.devnet.solana.com") == "wss://api.devnet.solana.com"
    assert ws_url_for("http://10.0.0.5:8899/") == "ws://10.0.0.5:8900/"
    with pytest.raises(ConfigError):
        ws_url_for("ftp://x")


def test_profiles_roundtrip_and_permissions(tmp_path: Path) -> None:
    cfg = WalletConfig.load(tmp_path)
    cfg.set_profile(ClusterProfile("devnet", "https://api.devnet.solana.com/",
                                   "wss://api.devnet.solana.com", rail_url="https://rail.example",
                                   notary_key="ab" * 32, usdc_mint="4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"),
                    activate=True)
    cfg.active_wallet = "seller"
    cfg.keyring_cache = True
    cfg.save()
    assert stat.S_IMODE(os.stat(tmp_path / "config.json").st_mode) == 0o600
    again = WalletConfig.load(tmp_path)
    p = again.profile()
    assert (p.name, p.rpc_url, p.notary_key, p.embedded) == ("devnet", "https://api.devnet.solana.com",
                                                             "ab" * 32, False)
    assert again.active_wallet == "seller" and again.keyring_cache
    again.remove_profile("devnet")
    assert again.active_profile == LOCALNET
    with pytest.raises(ConfigError, match="cannot be removed"):
        again.remove_profile(LOCALNET)


@pytest.mark.parametrize("kw, message", [
    (dict(rpc_url="localhost:8899"), "RPC URL"),
    (dict(ws_url="http://x"), "WebSocket URL"),
    (dict(rail_url="rail"), "rail URL"),
    (dict(notary_key="zz"), "hex"),
    (dict(name="bad name"), "profile names"),
    (dict(rpc_url="http://127.0.0.1:99999"), "invalid port"),
])
def test_bad_profiles_refused(tmp_path: Path, kw: dict, message: str) -> None:
    cfg = WalletConfig.load(tmp_path)
    base = dict(name="x", rpc_url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:2")
    with pytest.raises(ConfigError, match=message):
        cfg.set_profile(ClusterProfile(**{**base, **kw}))
    assert "x" not in cfg.profiles


def test_damaged_config_is_explained(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        WalletConfig.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"version": 99}))
    with pytest.raises(ConfigError, match="unsupported"):
        WalletConfig.load(tmp_path)


def test_wallet_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANOMI_DATA_DIR", str(tmp_path / "d"))
    assert data_dir() == tmp_path / "d"
    cfg = WalletConfig.load()
    assert cfg.wallet_path("buyer") == tmp_path / "d" / "wallets" / "buyer.keystore"
    with pytest.raises(ConfigError):
        cfg.wallet_path("../escape")
    assert cfg.wallet_names() == []

"""After a full session, no secret appears anywhere in the wallet's data directory.

Secrets: both seed phrases (text), their BIP39 seeds, every private key (raw, hex, base58,
base64, and as the 64-byte keypair), identity secrets, the derived unlock key, and both
passwords. Each is searched in every file under the data directory in several encodings.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from solders.keypair import Keypair

from tests.unit.secret_scan import forms, keystore_secrets, leaks
from wallet.core.config import ClusterProfile, WalletConfig
from wallet.core.identities import IdentityBook
from wallet.core.keystore import Keystore

PHRASE2 = "travel corn search rail abuse nominee ticket captain such garden club climb"


def test_no_secret_bytes_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ANOMI_DATA_DIR", str(data))
    cfg = WalletConfig.load()
    cfg.set_profile(ClusterProfile("remote", "https://rpc.example", "wss://rpc.example"), activate=True)
    cfg.save()
    pw1, pw2 = "first secret password", "second secret password"
    ks = Keystore.create(cfg.wallet_path("main"), pw1, words=24, accounts=2)
    ks.import_mnemonic(PHRASE2, accounts=2)
    ks.add_derived_account("extra")
    outside = tmp_path / "outside"
    outside.mkdir()
    imported = Keypair()
    (outside / "id.json").write_text(json.dumps(list(bytes(imported))))
    ks.import_keypair_file(outside / "id.json", "cli")
    ks.add_watch_only(str(Keypair().pubkey()), "watched")
    book = IdentityBook(ks)
    book.create("otc")
    book.create("p2p")
    book.rotate("otc")
    first_key = ks.unlock_key
    ks.change_password(pw1, pw2)
    ks = Keystore.unlock(cfg.wallet_path("main"), pw2)
    book = IdentityBook(ks)
    cfg.active_wallet = "main"
    cfg.save()

    secrets: dict[str, bytes] = {"password1": pw1.encode(), "password2": pw2.encode(),
                                 "unlock key (old)": first_key, **keystore_secrets(ks)}
    assert secrets["unlock key"] == ks.unlock_key
    for ident in book.list():
        assert secrets[f"x25519 identity {ident.label}"] == book.secret_key(ident.id)
    assert len([k for k in secrets if k.startswith("key ") and not k.startswith("key b58")]) == 6
    assert len([k for k in secrets if k.startswith("bip39 seed ")]) == 2

    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"config.json", "main.keystore"}
    assert leaks(data, secrets) == []


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    """The scan itself can fail: each form of a secret written to a file is found."""
    secret = bytes(range(32))
    for i, form in enumerate(forms(secret)):
        (tmp_path / f"f{i}").write_bytes(b"prefix " + form + b" suffix")
    assert len(leaks(tmp_path, {"s": secret})) == len(forms(secret))
    assert leaks(tmp_path, {"other": bytes(range(100, 132))}) == []

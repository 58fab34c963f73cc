"""After a full session, no secret appears anywhere in the wallet's data directory.

Secrets: both seed phrases (text), their BIP39 seeds, every private key (raw, hex, base58,
base64, and as the 64-byte keypair), identity secrets, the derived unlock key, and both
passwords. Each is searched in every file under the data directory in several encodings.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from solders.keypair import Keypair

from wallet.core.config import ClusterProfile, WalletConfig
from wallet.core.identities import IdentityBook
from wallet.core.keystore import Keystore

PHRASE2 = "travel corn search rail abuse nominee ticket captain such garden club climb"


def forms(secret: bytes) -> list[bytes]:
    out = [secret, secret.hex().encode(), secret.hex().upper().encode(),
           base64.b64encode(secret), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    if len(secret) >= 32:
        out.append(json.dumps(list(secret)).encode())
        out.append(json.dumps(list(secret), separators=(",", ":")).encode())
    return out


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
                                 "unlock key (old)": first_key, "unlock key": ks.unlock_key}
    for seed_id in ks.seed_ids():
        phrase = ks.mnemonic(seed_id)
        secrets[f"phrase {seed_id}"] = phrase.encode()
        secrets[f"phrase words {seed_id}"] = " ".join(phrase.split()[:4]).encode()
        secrets[f"bip39 seed {seed_id}"] = ks.seed_bytes(seed_id)
    for acc in ks.accounts():
        if acc.can_sign:
            kp = ks.keypair(acc.id)
            secrets[f"key {acc.label}"] = bytes(kp)[:32]
            secrets[f"keypair {acc.label}"] = bytes(kp)
            secrets[f"keypair b58 {acc.label}"] = str(kp).encode()
    for ident in book.list():
        secrets[f"identity {ident.label}"] = book.secret_key(ident.id)
    assert len([k for k in secrets if k.startswith("key ")]) == 6

    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"config.json", "main.keystore"}
    for path in files:
        blob = path.read_bytes()
        for name, secret in secrets.items():
            for form in forms(secret):
                assert form not in blob, f"{name} found in {path.relative_to(data)}"

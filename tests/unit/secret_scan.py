"""Scan a wallet data directory for every secret of a wallet (used by the keystore unit test and
by the CLI seed runs in tests/integration/test_cli_zkp2p.py and test_cli_otc.py).

Why a shared module: "no secret on disk" is only meaningful after a real session, and the
sessions that exercise the most code (rail notes, proofs, deal results) are the CLI integration
runs; they and the unit test must look for the same secrets in the same encodings.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

from solders.pubkey import Pubkey

from wallet.core.identities import IdentityBook, derive_identity_secret
from wallet.core.keystore import Keystore

# identity indexes beyond the recorded ones a wallet may derive (DealService tries the next 5)
EXTRA_IDENTITY_INDEXES = 6


def forms(secret: bytes) -> list[bytes]:
    """The encodings a secret could leak in: raw, hex (both cases), base64 (both alphabets) and,
    for key-sized secrets, the Solana CLI's JSON byte list."""
    out = [secret, secret.hex().encode(), secret.hex().upper().encode(),
           base64.b64encode(secret), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    if len(secret) >= 32:
        out.append(json.dumps(list(secret)).encode())
        out.append(json.dumps(list(secret), separators=(",", ":")).encode())
    return out


def phrase_secrets(label: str, phrase: str) -> dict[str, bytes]:
    """The phrase and its words joined the ways a program might store them."""
    words = phrase.split()
    return {f"phrase {label}": phrase.encode(),
            f"phrase first words {label}": " ".join(words[:4]).encode(),
            f"phrase words joined {label}": "".join(words).encode(),
            f"phrase words comma {label}": ",".join(words).encode(),
            f"phrase words json {label}": json.dumps(words).encode()}


def keystore_secrets(ks: Keystore) -> dict[str, bytes]:
    """Every secret an unlocked keystore holds or derives: phrases, BIP39 seeds, account keys
    (32-byte secret raw and base58, 64-byte keypair raw and base58), x25519 identity secrets
    (recorded and the next derivable), and the derived unlock key."""
    out: dict[str, bytes] = {"unlock key": ks.unlock_key}
    book = IdentityBook(ks)
    for seed_id in ks.seed_ids():
        out.update(phrase_secrets(seed_id, ks.mnemonic(seed_id)))
        seed = ks.seed_bytes(seed_id)
        out[f"bip39 seed {seed_id}"] = seed
        used = [i.index for i in book.list() if i.seed_id == seed_id]
        for index in range(max(used, default=-1) + 1 + EXTRA_IDENTITY_INDEXES):
            out[f"x25519 identity {seed_id}/{index}"] = derive_identity_secret(seed, index)
    for ident in book.list():
        out[f"x25519 identity {ident.label}"] = book.secret_key(ident.id)
    for acc in ks.accounts():
        if acc.can_sign:
            kp = ks.keypair(acc.id)
            out[f"key {acc.label}"] = bytes(kp)[:32]
            out[f"key b58 {acc.label}"] = str(Pubkey.from_bytes(bytes(kp)[:32])).encode()
            out[f"keypair {acc.label}"] = bytes(kp)
            out[f"keypair b58 {acc.label}"] = str(kp).encode()
    return out


def wallet_secrets(keystore_path: Path, password: str) -> dict[str, bytes]:
    """The secrets of the wallet in `keystore_path`, its password included."""
    return {"password": password.encode(), **keystore_secrets(Keystore.unlock(keystore_path, password))}


def leaks(root: Path, secrets: dict[str, bytes]) -> list[str]:
    """'<secret name> in <file>' for every secret found, in any form, in any file under root."""
    found = []
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        blob = path.read_bytes()
        found += [f"{name} in {path.relative_to(root)}" for name, secret in secrets.items()
                  if any(form in blob for form in forms(secret))]
    return found

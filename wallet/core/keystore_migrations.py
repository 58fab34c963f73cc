"""Numbered migrations of the keystore payload (the decrypted JSON).

Why numbered functions: a wallet file may sit untouched for years. Each step upgrades the
payload from version N to N+1 and nothing else, so any old file walks the chain to the
current version. The migrated file is written back only after the whole chain succeeded
(and the old file is kept as `<name>.v<N>.bak`, still encrypted), so a failing migration
changes nothing.
"""
from __future__ import annotations

from typing import Any, Callable

from .hd_derivation import mnemonic_to_seed, normalize_mnemonic, phantom_keypair
from .keystore_file import CURRENT_VERSION, CorruptKeystore

Payload = dict[str, Any]


def _v0_to_v1(payload: Payload, wallet_id: str) -> Payload:
    """v0 held one phrase and a count of derived accounts; v1 holds lists of seeds, accounts
    (derived, imported, watch-only) and encryption identities, each with a stable id."""
    try:
        phrase = normalize_mnemonic(payload["mnemonic"])
        count = int(payload.get("accounts", 1))
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptKeystore(f"version-0 keystore payload cannot be migrated: {exc}") from exc
    seed = mnemonic_to_seed(phrase)
    accounts = [
        {"id": f"a{i + 1}", "label": f"Account {i + 1}", "kind": "derived", "seed": "s1",
         "index": i, "address": str(phantom_keypair(seed, i).pubkey())}
        for i in range(max(count, 1))
    ]
    return {
        "version": 1,
        "wallet_id": wallet_id,
        "seeds": [{"id": "s1", "mnemonic": phrase, "passphrase": ""}],
        "accounts": accounts,
        "identities": [],
        "next_id": len(accounts) + 1,
    }


MIGRATIONS: dict[int, Callable[[Payload, str], Payload]] = {0: _v0_to_v1}


def migrate(payload: Payload, from_version: int, wallet_id: str) -> Payload:
    """Walk the chain from `from_version` to CURRENT_VERSION."""
    version = from_version
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise CorruptKeystore(f"no migration from keystore version {version}")
        payload = step(payload, wallet_id)
        version += 1
        if payload.get("version") != version:
            raise CorruptKeystore(f"migration to version {version} produced a wrong version tag")
    return payload

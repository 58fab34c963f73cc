"""x25519 encryption identities derived from the wallet's seed phrase.

Why derived, not random: an identity receives sealed data (MXE results, a counterparty's
payee details). If it were random, losing the keystore file would lose those messages for
good; derived from the seed, the phrase alone recovers every identity.

Derivation (documented so other implementations can reproduce it):

    secret_i = HKDF-SHA256(ikm = BIP39 seed (64 bytes),
                           salt = b"anomi/identity",
                           info = b"anomi/x25519-identity/v1" || u32_be(i),
                           length = 32)
    public_i = X25519(secret_i, 9)   (RFC 7748; clamping inside the scalar multiplication)

The label domain keeps these keys unrelated to the Solana signing keys of the same seed.
Rotation makes a new identity at the next index and marks the old one retired: it is kept
(still derivable) so data sealed to it earlier can still be opened, but it is no longer
offered to peers.
"""
from __future__ import annotations

import hashlib
import hmac
import struct
import time
from dataclasses import dataclass
from typing import Any

from nacl.bindings import crypto_scalarmult_base

from .keystore import Keystore, KeystoreError

HKDF_SALT = b"anomi/identity"
HKDF_INFO = b"anomi/x25519-identity/v1"


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF with SHA-256."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def derive_identity_secret(seed: bytes, index: int) -> bytes:
    if not 0 <= index < 2**32:
        raise ValueError(f"identity index out of range: {index}")
    return hkdf_sha256(seed, HKDF_SALT, HKDF_INFO + struct.pack(">I", index))


@dataclass(frozen=True)
class Identity:
    """An encryption identity as shown to the user (public part only)."""
    id: str
    label: str
    seed_id: str
    index: int
    public_key: bytes
    retired: bool
    created_at: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "seed_id": self.seed_id, "index": self.index,
                "public_key": self.public_key.hex(), "retired": self.retired,
                "created_at": self.created_at}


class IdentityBook:
    """Create, list, label, rotate and open identities of an unlocked keystore."""

    def __init__(self, keystore: Keystore):
        self.keystore = keystore

    @staticmethod
    def _to_identity(rec: dict[str, Any]) -> Identity:
        return Identity(rec["id"], rec["label"], rec["seed"], int(rec["index"]),
                        bytes.fromhex(rec["public"]), bool(rec.get("retired", False)),
                        int(rec.get("created_at", 0)))

    def list(self, include_retired: bool = True) -> list[Identity]:
        ids = [self._to_identity(r) for r in self.keystore.identity_records()]
        return [i for i in ids if include_retired or not i.retired]

    def get(self, ref: str | None = None) -> Identity:
        """By id, label or hex public key; None means the newest active identity."""
        items = self.list()
        if ref is None:
            active = [i for i in items if not i.retired]
            if not active:
                raise KeystoreError("this wallet has no encryption identity yet; create one")
            return active[-1]
        for ident in items:
            if ref in (ident.id, ident.label, ident.public_key.hex()):
                return ident
        raise KeystoreError(f"no identity {ref!r} in this wallet")

    def secret_key(self, ref: str | None = None) -> bytes:
        """The 32-byte x25519 secret, re-derived from the seed (never stored)."""
        ident = self.get(ref)
        secret = derive_identity_secret(self.keystore.seed_bytes(ident.seed_id), ident.index)
        if crypto_scalarmult_base(secret) != ident.public_key:
            raise KeystoreError(f"identity {ident.label!r} does not match its seed")
        return secret

    def create(self, label: str | None = None, seed_id: str | None = None) -> Identity:
        seed_id = seed_id or (self.keystore.seed_ids() or [None])[0]
        if seed_id is None:
            raise KeystoreError("encryption identities derive from a seed phrase; "
                                "this wallet has none (import or create one)")
        seed = self.keystore.seed_bytes(seed_id)

        def change(records: list[dict[str, Any]]) -> Identity:
            used = [int(r["index"]) for r in records if r["seed"] == seed_id]
            index = max(used, default=-1) + 1
            name = label or f"Identity {len(records) + 1}"
            if any(r["label"] == name for r in records):
                raise KeystoreError(f"an identity is already labelled {name!r}")
            if not name.strip():
                raise KeystoreError("an identity label cannot be empty")
            public = crypto_scalarmult_base(derive_identity_secret(seed, index))
            rec = {"id": f"i{seed_id}-{index}", "label": name, "seed": seed_id, "index": index,
                   "public": public.hex(), "retired": False, "created_at": int(time.time())}
            records.append(rec)
            return self._to_identity(rec)
        return self.keystore.update_identities(change)

    def relabel(self, ref: str, label: str) -> Identity:
        ident = self.get(ref)
        if not label.strip():
            raise KeystoreError("an identity label cannot be empty")

        def change(records: list[dict[str, Any]]) -> Identity:
            if any(r["label"] == label and r["id"] != ident.id for r in records):
                raise KeystoreError(f"an identity is already labelled {label!r}")
            rec = next(r for r in records if r["id"] == ident.id)
            rec["label"] = label
            return self._to_identity(rec)
        return self.keystore.update_identities(change)

    def rotate(self, ref: str | None = None, label: str | None = None) -> Identity:
        """Retire `ref` (default: the newest active one) and create its successor."""
        old = self.get(ref)
        if old.retired:
            raise KeystoreError(f"identity {old.label!r} is already retired")
        seed = self.keystore.seed_bytes(old.seed_id)

        def change(records: list[dict[str, Any]]) -> Identity:
            used = [int(r["index"]) for r in records if r["seed"] == old.seed_id]
            index = max(used) + 1
            name = label or f"{old.label} (rotated {index})"
            if any(r["label"] == name for r in records):
                raise KeystoreError(f"an identity is already labelled {name!r}")
            next(r for r in records if r["id"] == old.id)["retired"] = True
            public = crypto_scalarmult_base(derive_identity_secret(seed, index))
            rec = {"id": f"i{old.seed_id}-{index}", "label": name, "seed": old.seed_id,
                   "index": index, "public": public.hex(), "retired": False,
                   "created_at": int(time.time())}
            records.append(rec)
            return self._to_identity(rec)
        return self.keystore.update_identities(change)

    def recover(self, count: int, seed_id: str | None = None) -> list[Identity]:
        """After re-importing a phrase: recreate identities 0..count-1 (labels are not in the
        phrase, so they get default names; the keys are the same as before)."""
        out = []
        for _ in range(count):
            out.append(self.create(seed_id=seed_id))
        return out

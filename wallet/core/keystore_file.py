"""The keystore's on-disk envelope: argon2id key derivation + XSalsa20-Poly1305 (SecretBox).

Why this shape: everything secret *and* the account list live inside one authenticated
ciphertext, so the file reveals nothing but the KDF parameters. The key is derived from the
password with argon2id, a random salt and parameters stored in the file (so they can be
raised later without breaking old files). The outer JSON also carries a SHA-256 checksum of
its own fields: that cannot stop a deliberate forgery (the MAC does), but it lets us say
"this file is corrupted" for a truncated or bit-flipped file instead of blaming the password.

Older envelope versions stay readable through READERS; payload changes between versions are
numbered migrations in keystore_migrations.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

FORMAT_TAG = "anomi-keystore"
CURRENT_VERSION = 1
KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
# libsodium's "interactive" memory (64 MiB) with one more pass: ~0.25 s on a laptop core.
DEFAULT_OPSLIMIT = 3
DEFAULT_MEMLIMIT = 64 * 1024 * 1024
# Bounds that refuse a hostile file asking for absurd work (DoS) or trivially weak settings.
MIN_OPSLIMIT, MAX_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MIN, 64
MIN_MEMLIMIT, MAX_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MIN, 4 * 1024 * 1024 * 1024


class KeystoreError(Exception):
    """Base class: every keystore problem a user can cause, with a message to show them."""


class WrongPassword(KeystoreError):
    """Authentication failed: wrong password, or the encrypted part was deliberately altered."""


class CorruptKeystore(KeystoreError):
    """The file is unreadable, truncated, damaged or of an unknown format."""


@dataclass(frozen=True)
class KdfParams:
    salt: bytes
    opslimit: int = DEFAULT_OPSLIMIT
    memlimit: int = DEFAULT_MEMLIMIT

    @classmethod
    def fresh(cls, opslimit: int = DEFAULT_OPSLIMIT, memlimit: int = DEFAULT_MEMLIMIT) -> "KdfParams":
        return cls(salt=nacl.utils.random(SALT_BYTES), opslimit=opslimit, memlimit=memlimit)

    def validate(self) -> None:
        if len(self.salt) != SALT_BYTES:
            raise CorruptKeystore(f"keystore salt must be {SALT_BYTES} bytes")
        if not MIN_OPSLIMIT <= self.opslimit <= MAX_OPSLIMIT:
            raise CorruptKeystore(f"keystore opslimit {self.opslimit} is outside the accepted range")
        if not MIN_MEMLIMIT <= self.memlimit <= MAX_MEMLIMIT:
            raise CorruptKeystore(f"keystore memlimit {self.memlimit} is outside the accepted range")

    def derive_key(self, password: str) -> bytes:
        """argon2id(password) -> 32-byte SecretBox key. Costs ~memlimit RAM and opslimit passes."""
        self.validate()
        return nacl.pwhash.argon2id.kdf(
            KEY_BYTES, password.encode("utf-8"), self.salt,
            opslimit=self.opslimit, memlimit=self.memlimit)


@dataclass(frozen=True)
class Envelope:
    """A parsed keystore file: enough to derive the key and open the box."""
    version: int
    wallet_id: str
    kdf: KdfParams
    nonce: bytes
    ciphertext: bytes
    raw: bytes  # the exact file bytes read, to detect concurrent modification

    def open(self, key: bytes) -> dict[str, Any]:
        """Decrypt and parse the payload; WrongPassword when the MAC does not verify."""
        try:
            plain = nacl.secret.SecretBox(key).decrypt(self.ciphertext, self.nonce)
        except nacl.exceptions.CryptoError as exc:
            raise WrongPassword(
                "wrong password (or the keystore's encrypted data was altered)") from exc
        try:
            payload = json.loads(plain.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptKeystore("keystore payload decrypted but is not valid JSON") from exc
        if not isinstance(payload, dict):
            raise CorruptKeystore("keystore payload is not a JSON object")
        return payload


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise CorruptKeystore(f"keystore field {what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise CorruptKeystore(f"keystore field {what} is not valid base64") from exc


def _checksum(fields: dict[str, Any]) -> str:
    body = json.dumps({k: v for k, v in fields.items() if k != "checksum"},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def seal(payload: dict[str, Any], key: bytes, kdf: KdfParams, wallet_id: str) -> bytes:
    """Serialise a current-version keystore file (fresh nonce every time)."""
    plain = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    ciphertext = nacl.secret.SecretBox(key).encrypt(plain, nonce).ciphertext
    doc: dict[str, Any] = {
        "format": FORMAT_TAG,
        "version": CURRENT_VERSION,
        "wallet_id": wallet_id,
        "kdf": {"name": "argon2id", "salt": _b64(kdf.salt),
                "opslimit": kdf.opslimit, "memlimit": kdf.memlimit},
        "cipher": {"name": "xsalsa20poly1305", "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)},
    }
    doc["checksum"] = _checksum(doc)
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _int_field(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise CorruptKeystore(f"keystore field {name} is missing or not an integer")
    return value


def _read_v1(doc: dict[str, Any], raw: bytes) -> Envelope:
    if doc.get("format") != FORMAT_TAG:
        raise CorruptKeystore("not an ANOMI keystore file (format tag missing)")
    if doc.get("checksum") != _checksum(doc):
        raise CorruptKeystore("keystore file is damaged (checksum mismatch); restore a backup "
                              "or re-import your seed phrase")
    kdf, cipher = doc.get("kdf"), doc.get("cipher")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id":
        raise CorruptKeystore("keystore uses an unknown key-derivation function")
    if not isinstance(cipher, dict) or cipher.get("name") != "xsalsa20poly1305":
        raise CorruptKeystore("keystore uses an unknown cipher")
    wallet_id = doc.get("wallet_id")
    if not isinstance(wallet_id, str):
        raise CorruptKeystore("keystore wallet_id is missing")
    params = KdfParams(_unb64(kdf.get("salt"), "kdf.salt"),
                       _int_field(kdf, "opslimit"), _int_field(kdf, "memlimit"))
    params.validate()
    return Envelope(1, wallet_id, params, _unb64(cipher.get("nonce"), "cipher.nonce"),
                    _unb64(cipher.get("ciphertext"), "cipher.ciphertext"), raw)


def _read_v0(doc: dict[str, Any], raw: bytes) -> Envelope:
    """Version 0 (the first prototype): flat hex fields, nonce prepended to the box."""
    try:
        salt = bytes.fromhex(doc["salt"])
        box = bytes.fromhex(doc["box"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptKeystore("version-0 keystore is missing its salt or box") from exc
    params = KdfParams(salt, _int_field(doc, "opslimit"), _int_field(doc, "memlimit"))
    params.validate()
    n = nacl.secret.SecretBox.NONCE_SIZE
    if len(box) <= n:
        raise CorruptKeystore("version-0 keystore box is truncated")
    wallet_id = hashlib.sha256(salt).hexdigest()[:16]
    return Envelope(0, wallet_id, params, box[:n], box[n:], raw)


READERS: dict[int, Callable[[dict[str, Any], bytes], Envelope]] = {0: _read_v0, 1: _read_v1}


def read_envelope(path: Path) -> Envelope:
    """Parse a keystore file of any supported version. Never modifies the file."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise KeystoreError(f"no keystore at {path}; create or import a wallet first") from exc
    except OSError as exc:
        raise KeystoreError(f"cannot read keystore {path}: {exc.strerror}") from exc
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptKeystore(f"keystore {path} is damaged or truncated (not valid JSON)") from exc
    if not isinstance(doc, dict):
        raise CorruptKeystore(f"keystore {path} is not a JSON object")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptKeystore(f"keystore {path} has no version number")
    reader = READERS.get(version)
    if reader is None:
        newer = version > CURRENT_VERSION
        raise CorruptKeystore(
            f"keystore version {version} is " + ("newer than this ANOMI; upgrade the app"
                                                   if newer else "unknown"))
    return reader(doc, raw)


def new_wallet_id() -> str:
    return os.urandom(8).hex()

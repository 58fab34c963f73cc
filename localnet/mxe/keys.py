"""The MXE node's key files in the ledger directory.

Why files in the ledger: the keys belong to this cluster instance. Genesis publishes the public
halves (x25519 in the MXEAccount, ed25519 as the callback-signing key) and the node process loads
the secret halves from the same directory, so a fresh ledger gets fresh keys and a restarted
node keeps its identity. Both files are written atomically with mode 0600.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair

from protocol.x25519 import x25519_generate_secret_key, x25519_public_key

KEY_DIR = "mxe"
X25519_FILE = "x25519.key"
NODE_FILE = "node-keypair.json"


@dataclass(frozen=True)
class NodeKeys:
    x25519_secret: bytes
    node: Keypair  # ed25519: signs callback outputs and pays callback fees

    @property
    def x25519_public(self) -> bytes:
        return x25519_public_key(self.x25519_secret)


def _write_secret(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def key_dir(ledger_dir: Path) -> Path:
    return Path(ledger_dir) / KEY_DIR


def load_or_create(ledger_dir: Path) -> NodeKeys:
    """The node keys of this ledger, created (0600) on first use."""
    d = key_dir(ledger_dir)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    xfile, nfile = d / X25519_FILE, d / NODE_FILE
    if not xfile.exists():
        _write_secret(xfile, x25519_generate_secret_key().hex().encode())
    if not nfile.exists():
        _write_secret(nfile, json.dumps(list(bytes(Keypair()))).encode())
    return load(ledger_dir)


def load(ledger_dir: Path) -> NodeKeys:
    d = key_dir(ledger_dir)
    secret = bytes.fromhex((d / X25519_FILE).read_text().strip())
    if len(secret) != 32:
        raise ValueError(f"{d / X25519_FILE} must hold a 32-byte hex secret")
    node = Keypair.from_bytes(bytes(json.loads((d / NODE_FILE).read_text())))
    return NodeKeys(secret, node)

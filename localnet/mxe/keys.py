"""Each MXE node's key files, in its own data directory ``<ledger>/mxe/node-<i>/``.

Why one directory per node: the nodes are separate processes (and may run on separate machines,
see docs/mxe.md); each owns its ed25519 callback key, its x25519 key share (``dkg.py``) and,
while the cluster computes by replicated execution (``cluster.COMPUTE_REPLICATED``), a copy of the
dealt MXE x25519 secret. Genesis publishes the public halves (cluster config, Cluster account,
MXEAccount); a restarted node keeps its identity. Files are written atomically with mode 0600.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair

from protocol.x25519 import x25519_public_key

KEY_DIR = "mxe"
X25519_FILE = "x25519.key"          # the dealt MXE secret (replicated compute only)
SHARE_FILE = "x25519-share.key"     # this node's DKG share s_i (hex, little-endian scalar)
NODE_FILE = "node-keypair.json"


@dataclass(frozen=True)
class NodeKeys:
    x25519_secret: bytes  # the dealt MXE secret (replicated compute only; b"" in MPC mode)
    node: Keypair         # ed25519: signs callback outputs and pays callback fees
    share: int = 0        # DKG share s_i (never leaves the node)
    index: int = 0

    @property
    def x25519_public(self) -> bytes | None:
        return x25519_public_key(self.x25519_secret) if self.x25519_secret else None


def write_secret(path: Path, data: bytes) -> None:
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


def node_dir(ledger_dir: Path, index: int) -> Path:
    return key_dir(ledger_dir) / f"node-{index}"


def create_node(ledger_dir: Path, index: int, dealt_secret: bytes | None, share: int) -> NodeKeys:
    """Write node ``index``'s files (0600 in a 0700 directory) unless they exist; return its keys.

    ``dealt_secret`` is None for an MPC cluster: then no node ever holds the MXE secret."""
    d = node_dir(ledger_dir, index)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (d / NODE_FILE).exists():
        write_secret(d / NODE_FILE, json.dumps(list(bytes(Keypair()))).encode())
    if not (d / SHARE_FILE).exists():
        write_secret(d / SHARE_FILE, share.to_bytes(32, "little").hex().encode())
    if dealt_secret is not None and not (d / X25519_FILE).exists():
        write_secret(d / X25519_FILE, dealt_secret.hex().encode())
    return load(ledger_dir, index)


def load_share(directory: Path) -> int:
    """This node's DKG share s_i, from its own directory (what its MPC party reads)."""
    return int.from_bytes(bytes.fromhex((Path(directory) / SHARE_FILE).read_text().strip()), "little")


def load(ledger_dir: Path, index: int = 0) -> NodeKeys:
    """A node's keys; ``x25519_secret`` is empty for a cluster computing by MPC (no dealt secret)."""
    d = node_dir(ledger_dir, index)
    secret = b""
    if (d / X25519_FILE).exists():
        secret = bytes.fromhex((d / X25519_FILE).read_text().strip())
        if len(secret) != 32:
            raise ValueError(f"{d / X25519_FILE} must hold a 32-byte hex secret")
    node = Keypair.from_bytes(bytes(json.loads((d / NODE_FILE).read_text())))
    return NodeKeys(secret, node, load_share(d), index)

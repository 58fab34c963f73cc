"""The MXE cluster config (``<ledger>/mxe/cluster.json``), written at genesis.

Why a file next to the on-chain Cluster account: nodes must find each other before they can talk
to the chain about a computation. The file holds what every node needs about its peers (index,
address, ed25519 callback key, x25519 share commitment) plus the cluster parameters; the chain
holds the same keys in the Cluster account (what the arcium program checks callbacks against).
The file carries no secret: copy it to every machine of a spread cluster and edit the addresses.

Compute mode. ``mpc`` (what ``anomi localnet up`` creates): the MXE x25519 key is u(Σ share
commitments) from the DKG; no node holds its secret; each computation runs as secure
multi-party computation between the nodes' MPyC parties (``mpc_program.py``), every secret
exists only as Shamir shares, and the nodes sign the opened output ciphertexts. ``replicated``
(``--mxe-compute replicated``, and the in-process test bank): every node runs the plaintext
executor (``executor.py``) with a copy of one dealt secret; results still need
``required_signatures`` nodes over the same bytes, but each node sees every plaintext. It stays
as the benchmark's peer and for tests that hold node-signed results out of band.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from solders.pubkey import Pubkey

from localnet.mxe import dkg
from localnet.mxe import keys as node_keys
from protocol.x25519 import x25519_generate_secret_key, x25519_public_key

CONFIG_FILE = "cluster.json"
DEFAULT_NODES = 3
MIN_NODES = 3
COMPUTE_REPLICATED = "replicated"
COMPUTE_MPC = "mpc"
COMPUTE_MODES = (COMPUTE_MPC, COMPUTE_REPLICATED)
NODE_PORT_OFFSET = 20   # node i listens on rpc_port + 20 + i (rails +11, directory +12)
MPC_PORT_OFFSET = 24    # node i's MPyC party listens on rpc_port + 24 + i


class ClusterConfigError(ValueError):
    """The cluster config is missing, malformed, or does not match the request."""


@dataclass(frozen=True)
class NodeInfo:
    index: int
    ed25519: Pubkey
    x25519_commitment: bytes
    host: str
    port: int
    mpc_port: int = 0   # the node's MPyC party (MPC compute mode)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class ClusterConfig:
    nodes: tuple[NodeInfo, ...]
    threshold: int
    required_signatures: int
    compute: str
    x25519_public: bytes      # the key published in the MXEAccount
    dkg_x25519_public: bytes  # u(Σ commitments): the key of the MPC mode

    def to_json(self) -> dict:
        return {"version": 1, "compute": self.compute, "threshold": self.threshold,
                "required_signatures": self.required_signatures, "x25519_public": self.x25519_public.hex(),
                "dkg_x25519_public": self.dkg_x25519_public.hex(),
                "nodes": [{"index": n.index, "ed25519": str(n.ed25519), "x25519_commitment": n.x25519_commitment.hex(),
                           "host": n.host, "port": n.port, "mpc_port": n.mpc_port} for n in self.nodes]}

    @classmethod
    def from_json(cls, d: dict) -> ClusterConfig:
        try:
            nodes = tuple(NodeInfo(int(n["index"]), Pubkey.from_string(n["ed25519"]),
                                   bytes.fromhex(n["x25519_commitment"]), str(n["host"]), int(n["port"]),
                                   int(n.get("mpc_port", 0)))
                          for n in d["nodes"])
            cfg = cls(nodes, int(d["threshold"]), int(d["required_signatures"]), str(d["compute"]),
                      bytes.fromhex(d["x25519_public"]), bytes.fromhex(d["dkg_x25519_public"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise ClusterConfigError(f"malformed cluster config: {exc}") from None
        if [n.index for n in nodes] != list(range(len(nodes))):
            raise ClusterConfigError("node indices must be 0..N-1 in order")
        if dkg.public_key([n.x25519_commitment for n in nodes]) != cfg.dkg_x25519_public:
            raise ClusterConfigError("dkg_x25519_public is not u(sum of the share commitments)")
        if cfg.compute not in COMPUTE_MODES:
            raise ClusterConfigError(f"unknown compute mode {cfg.compute!r} (one of {', '.join(COMPUTE_MODES)})")
        if cfg.compute == COMPUTE_MPC and cfg.x25519_public != cfg.dkg_x25519_public:
            raise ClusterConfigError("an MPC cluster must publish its DKG key")
        return cfg


def config_path(ledger_dir: Path) -> Path:
    return node_keys.key_dir(ledger_dir) / CONFIG_FILE


def load(ledger_dir: Path) -> ClusterConfig:
    path = config_path(ledger_dir)
    try:
        return ClusterConfig.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise ClusterConfigError(f"{path} does not exist; start `anomi localnet up` first") from None
    except json.JSONDecodeError as exc:
        raise ClusterConfigError(f"{path}: {exc}") from None


def save(ledger_dir: Path, cfg: ClusterConfig) -> None:
    path = config_path(ledger_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cfg.to_json(), indent=1))
    os.replace(tmp, path)


NODES_ENV = "ANOMI_MXE_NODES"
COMPUTE_ENV = "ANOMI_MXE_COMPUTE"


def requested_compute() -> str:
    """The compute mode of a new cluster: `localnet up` sets it (MPC unless --mxe-compute says
    otherwise); an in-process Bank (unit tests) computes replicated in the test's own process."""
    mode = os.environ.get(COMPUTE_ENV, COMPUTE_REPLICATED)
    if mode not in COMPUTE_MODES:
        raise ClusterConfigError(f"{COMPUTE_ENV}={mode!r}: use one of {', '.join(COMPUTE_MODES)}")
    return mode


def requested_nodes() -> int:
    """The node count for a new cluster: `localnet up --mxe-nodes N` sets it for its genesis."""
    return int(os.environ.get(NODES_ENV, DEFAULT_NODES))


def check_request(ledger_dir: Path, n: int) -> None:
    """Refuse a node count below 3, or different from an existing cluster's (without --reset)."""
    if n < MIN_NODES:
        raise ClusterConfigError(f"--mxe-nodes must be at least {MIN_NODES} (honest majority with t = 1)")
    if config_path(ledger_dir).exists():
        have = len(load(ledger_dir).nodes)
        if have != n:
            raise ClusterConfigError(f"this ledger's MXE cluster has {have} nodes; add --reset to make one of {n}")


def create(ledger_dir: Path, n: int | None = None, compute: str | None = None) -> ClusterConfig:
    """Genesis: N node directories with fresh keys and DKG shares, and the config (or load it).

    MPC mode: each node draws its own share and only commitments are collected, so the MXE
    x25519 key published in the MXEAccount is u(Σ commitments) and its secret exists nowhere.
    (Here the node directories are created by one process at genesis; on separate machines each
    node runs ``dkg.new_share`` itself and sends only its commitment, see docs/mxe.md.)"""
    if config_path(ledger_dir).exists():
        return load(ledger_dir)
    n = requested_nodes() if n is None else n
    compute = requested_compute() if compute is None else compute
    if n < MIN_NODES:
        raise ClusterConfigError(f"an MXE cluster needs at least {MIN_NODES} nodes")
    dealt = x25519_generate_secret_key() if compute == COMPUTE_REPLICATED else None
    keys = [node_keys.create_node(ledger_dir, i, dealt, dkg.new_share()) for i in range(n)]
    commitments = [dkg.commitment(k.share) for k in keys]
    nodes = tuple(NodeInfo(i, k.node.pubkey(), commitments[i], "127.0.0.1", 0) for i, k in enumerate(keys))
    dkg_public = dkg.public_key(commitments)
    cfg = ClusterConfig(nodes, threshold=(n - 1) // 2, required_signatures=n, compute=compute,
                        x25519_public=x25519_public_key(dealt) if dealt is not None else dkg_public,
                        dkg_x25519_public=dkg_public)
    save(ledger_dir, cfg)
    return cfg


def with_local_ports(ledger_dir: Path, rpc_port: int) -> ClusterConfig:
    """Point every node at 127.0.0.1:rpc_port+20+i (what `localnet up` does at each start)."""
    cfg = load(ledger_dir)
    nodes = tuple(NodeInfo(n.index, n.ed25519, n.x25519_commitment, "127.0.0.1", rpc_port + NODE_PORT_OFFSET + n.index,
                           rpc_port + MPC_PORT_OFFSET + n.index)
                  for n in cfg.nodes)
    cfg = ClusterConfig(nodes, cfg.threshold, cfg.required_signatures, cfg.compute, cfg.x25519_public,
                        cfg.dkg_x25519_public)
    save(ledger_dir, cfg)
    return cfg


def load_all_keys(ledger_dir: Path) -> list[node_keys.NodeKeys]:
    """Every node's keys (tests and the in-process harness only: a real node loads its own)."""
    return [node_keys.load(ledger_dir, n.index) for n in load(ledger_dir).nodes]

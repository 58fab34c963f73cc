"""Genesis accounts of the arcium program: the OTC program's MXE account and its cluster.

Why at genesis: a newcomer's local cluster must be usable at once. The hook creates (or loads)
the MXE cluster (``localnet/mxe/cluster.py``: N node directories, keys, DKG share commitments,
cluster.json), publishes the MXE x25519 key in the MXEAccount where the Arcium SDK reads it
(SPEC §1.1) and every node's ed25519 key in the Cluster account (a callback needs
``required_signatures`` of them), registers the four OTC computation definitions (the same records
``init_*_comp_def`` writes), creates the cluster singletons (mempool, executing pool, cluster,
fee pool, clock) and funds every node so it can pay for callback transactions.
"""
from __future__ import annotations

import struct
from pathlib import Path

from solders.pubkey import Pubkey

from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import keys as node_keys
from protocol import arcium_codec as ac
from protocol import arcium_encoding as enc
from protocol.idl import discriminator
from protocol.otc_codec import CIRCUITS
from protocol.program_ids import ARCIUM_PROGRAM_ID, OTC_PROGRAM_ID, SYSTEM_PROGRAM_ID

IDL = ac.ARCIUM_IDL
NODE_LAMPORTS = 1_000 * 10**9
COMPUTATION_FEE = 5_000


def comp_def_record(mxe_program_id: Pubkey, circuit_name: str) -> tuple[Pubkey, bytes]:
    """(address, data) of a computation definition, exactly as init_computation_definition writes it."""
    c = CIRCUITS[circuit_name]
    seeds = [b"ComputationDefinitionAccount", bytes(mxe_program_id), struct.pack("<I", c.offset)]
    address, bump = Pubkey.find_program_address(seeds, ARCIUM_PROGRAM_ID)
    return address, IDL.encode_account("ComputationDefinitionAccount", {
        "mxe_program_id": mxe_program_id, "comp_def_offset": c.offset, "output_len": c.output_len,
        "callback_discriminator": discriminator("global", c.callback), "bump": bump,
        "circuit_name": c.name, "parameters": c.parameter_bytes})


def _bump(seeds: list[bytes]) -> int:
    return Pubkey.find_program_address(seeds, ARCIUM_PROGRAM_ID)[1]


def add_arcium_accounts(builder, ledger_dir: Path, *, with_comp_defs: bool = True) -> None:
    cfg = mxe_cluster.create(ledger_dir)
    lead = node_keys.load(ledger_dir, 0)
    cluster = ac.LOCAL_CLUSTER_OFFSET
    c32 = struct.pack("<I", cluster)
    offsets = [c.offset for c in CIRCUITS.values()] if with_comp_defs else []
    mxe_data = ac.mxe_account_data(OTC_PROGRAM_ID, cfg.x25519_public, bytes(lead.node.pubkey()), offsets, cluster)
    space = ac.mxe_account_space()
    builder.add_account(enc.mxe_account_pda(OTC_PROGRAM_ID), owner=ARCIUM_PROGRAM_ID,
                        data=mxe_data + bytes(space - len(mxe_data)))
    if with_comp_defs:
        for name in CIRCUITS:
            address, data = comp_def_record(OTC_PROGRAM_ID, name)
            builder.add_account(address, owner=ARCIUM_PROGRAM_ID, data=data)
    singletons = [
        (enc.mempool_pda(cluster), "Mempool",
         {"cluster_offset": cluster, "queued_total": 0, "pending": 0, "bump": _bump([b"Mempool", c32])}),
        (enc.execpool_pda(cluster), "ExecutingPool",
         {"cluster_offset": cluster, "finalized_total": 0, "failed_total": 0, "expired_total": 0,
          "bump": _bump([b"Execpool", c32])}),
        (enc.cluster_pda(cluster), "Cluster", {
            "cluster_offset": cluster, "node_count": len(cfg.nodes), "threshold": cfg.threshold,
            "required_signatures": cfg.required_signatures,
            "nodes": [{"ed25519": n.ed25519, "x25519_commitment": n.x25519_commitment} for n in cfg.nodes],
            "bump": _bump([b"Cluster", c32])}),
        (enc.fee_pool_pda(), "FeePool", {"computation_fee": COMPUTATION_FEE, "collected": 0,
                                         "bump": _bump([b"FeePool"])}),
        (enc.clock_pda(), "ClockAccount", {"genesis_slot": 0, "genesis_unix_timestamp": 0,
                                           "bump": _bump([b"ClockAccount"])}),
    ]
    for address, type_name, value in singletons:
        builder.add_account(address, owner=ARCIUM_PROGRAM_ID, data=IDL.encode_account(type_name, value))
    for n in cfg.nodes:
        builder.add_account(n.ed25519, lamports=NODE_LAMPORTS, owner=SYSTEM_PROGRAM_ID)


def arcium_genesis(builder, ledger_dir: Path) -> None:
    """The GENESIS_HOOKS entry: everything, computation definitions included."""
    add_arcium_accounts(builder, ledger_dir, with_comp_defs=True)

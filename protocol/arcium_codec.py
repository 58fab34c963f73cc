"""The arcium program's wire format: accounts, arguments, the callback signature message.

Why this exists: three parties speak it. MXE programs (OTC) queue computations by CPI; the MXE
node reads computation accounts and submits signed callbacks; wallets read the MXE account for
its x25519 key. All layouts come from ``resources/idl/arcium.json`` through ``AnchorIdl``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from protocol import arcium_encoding as enc
from protocol.idl import load_idl
from protocol.program_ids import ARCIUM_PROGRAM_ID

ARCIUM_IDL = load_idl("arcium")
assert ARCIUM_IDL.address == ARCIUM_PROGRAM_ID

LOCAL_CLUSTER_OFFSET = 0
COMPUTATION_EXPIRY_SLOTS = 180
MAX_ARGUMENTS = 16
MAX_CALLBACK_ACCOUNTS = 8
MAX_COMP_DEFS = 16
CALLBACK_DOMAIN = b"arcium-callback-v1"
FAILURE_REJECTED = 1   # the node refused the inputs (malformed / tampered)
FAILURE_EXPIRED = 2    # nobody delivered a result within COMPUTATION_EXPIRY_SLOTS

# ArgumentKind tags = variant index of the IDL's Argument enum.
ARGUMENT_KINDS = [v["name"] for v in ARCIUM_IDL.codec.types["Argument"]["type"]["variants"]]
STATUS_NAMES = [v["name"] for v in ARCIUM_IDL.codec.types["ComputationStatus"]["type"]["variants"]]
COMPUTATION_DISCRIMINATOR = bytes(ARCIUM_IDL.accounts["ComputationAccount"]["discriminator"])
OUTPUTS_TYPE = {"defined": {"name": "ComputationOutputs"}}
COMPUTATION_STATUS_OFFSET = 8


def argument_kinds(names: list[str]) -> bytes:
    """A circuit's parameter signature as stored in its computation definition."""
    return bytes(ARGUMENT_KINDS.index(n) for n in names)


def arg(kind: str, value: Any) -> dict:
    """One ``Argument`` enum value, e.g. ``arg("PlaintextU128", nonce)``."""
    return {kind: [value]}


def account_arg(pubkey: Pubkey, offset: int, length: int) -> dict:
    """An ``Enc<Mxe, &T>`` reference: ``length`` bytes of ``pubkey``'s data at ``offset``."""
    return {"Account": {"pubkey": pubkey, "offset": offset, "length": length}}


def argument_kind(argument: dict) -> str:
    return next(iter(argument))


def callback_message(computation: Pubkey, outputs_borsh: bytes) -> bytes:
    """What the MXE node signs: domain ‖ computation account ‖ sha256(Borsh(ComputationOutputs)).

    Binding the computation account (a PDA unique per queued computation) makes a signature
    useless for any other computation; hashing the outputs keeps the message small.
    """
    return callback_message_for_hash(computation, hashlib.sha256(outputs_borsh).digest())


def callback_message_for_hash(computation: Pubkey, output_hash: bytes) -> bytes:
    """The signed message when only the output hash is known (how the program checks each node)."""
    return CALLBACK_DOMAIN + bytes(computation) + bytes(output_hash)


def output_hash(outputs: dict) -> bytes:
    return hashlib.sha256(encode_outputs(outputs)).digest()


def node_signature(node_index: int, signature: bytes, other_output_hash: bytes | None = None) -> dict:
    """One ``NodeSignature``: the node's index in the Cluster account and its signature over the
    delivered outputs (or, with ``other_output_hash``, over other outputs it computed)."""
    return {"node_index": node_index, "signature": bytes(signature), "other_output_hash": other_output_hash}


def success(output: bytes) -> dict:
    return {"Success": {"output": bytes(output)}}


def failure(reason: int) -> dict:
    return {"Failure": {"reason": reason}}


def encode_outputs(outputs: dict) -> bytes:
    """Borsh of a ``ComputationOutputs`` value (what the node signs the hash of)."""
    return ARCIUM_IDL.codec.encode(OUTPUTS_TYPE, outputs)


@dataclass(frozen=True)
class ArciumAccounts:
    """Every Arcium address an MXE program's instruction needs (SPEC §5 PDAs)."""

    mxe_program_id: Pubkey
    cluster_offset: int = LOCAL_CLUSTER_OFFSET

    @property
    def mxe(self) -> Pubkey:
        return enc.mxe_account_pda(self.mxe_program_id)

    @property
    def mempool(self) -> Pubkey:
        return enc.mempool_pda(self.cluster_offset)

    @property
    def executing_pool(self) -> Pubkey:
        return enc.execpool_pda(self.cluster_offset)

    @property
    def cluster(self) -> Pubkey:
        return enc.cluster_pda(self.cluster_offset)

    @property
    def pool(self) -> Pubkey:
        return enc.fee_pool_pda()

    @property
    def clock(self) -> Pubkey:
        return enc.clock_pda()

    @property
    def sign_pda(self) -> Pubkey:
        return enc.signer_pda(self.mxe_program_id)[0]

    def comp_def(self, circuit_name: str) -> Pubkey:
        return enc.comp_def_pda(self.mxe_program_id, enc.comp_def_offset(circuit_name))

    def computation(self, computation_offset: int) -> Pubkey:
        return enc.computation_pda(self.cluster_offset, computation_offset)

    def queue_accounts(self, circuit_name: str, computation_offset: int) -> dict[str, Pubkey]:
        """The "standard Arcium accounts" of a queueing instruction, keyed by IDL name."""
        return {
            "sign_pda_account": self.sign_pda, "mxe": self.mxe, "mempool": self.mempool,
            "executing_pool": self.executing_pool, "computation": self.computation(computation_offset),
            "comp_def": self.comp_def(circuit_name), "cluster": self.cluster, "pool": self.pool,
            "clock": self.clock,
        }


def mxe_account_data(mxe_program_id: Pubkey, x25519_pubkey: bytes, ed25519_pubkey: bytes,
                     comp_def_offsets: list[int], cluster_offset: int = LOCAL_CLUSTER_OFFSET) -> bytes:
    """Bytes of an MXEAccount with authority None, keys Set, room for MAX_COMP_DEFS definitions."""
    bump = Pubkey.find_program_address([b"MXEAccount", bytes(mxe_program_id)], ARCIUM_PROGRAM_ID)[1]
    value = {
        "_padding": 0, "cluster": cluster_offset, "keygen_offset": 0, "key_recovery_init_offset": 0,
        "mxe_program_id": mxe_program_id, "authority": None,
        "utility_pubkeys": {"Set": [{"x25519_pubkey": x25519_pubkey, "ed25519_verifying_key": ed25519_pubkey,
                                     "elgamal_pubkey": bytes(32), "pubkey_validity_proof": bytes(64)}]},
        "lut_offset_slot": 0, "computation_definitions": list(comp_def_offsets), "status": "Active",
        "bump": bump, "current_epoch_recovery_rewards": 0, "recovery_rewards_epoch": 0,
    }
    return ARCIUM_IDL.encode_account("MXEAccount", value)


def mxe_account_space() -> int:
    """Fixed allocation: the Borsh size with MAX_COMP_DEFS u32 entries (trailing zeros are ignored)."""
    return len(mxe_account_data(ARCIUM_PROGRAM_ID, bytes(32), bytes(32), [0] * MAX_COMP_DEFS))


def decode_mxe(data: bytes) -> dict:
    return ARCIUM_IDL.decode_account("MXEAccount", data)


def mxe_keys(mxe: dict) -> tuple[bytes, bytes] | None:
    """(x25519, ed25519) keys when usable under the SDK's Set/Unset rule, else None."""
    tag, payload = next(iter(mxe["utility_pubkeys"].items()))
    keys = payload[0]
    if tag == "Set" or all(payload[1]):
        return keys["x25519_pubkey"], keys["ed25519_verifying_key"]
    return None


def decode_computation(data: bytes) -> dict:
    return ARCIUM_IDL.decode_account("ComputationAccount", data)


def decode_comp_def(data: bytes) -> dict:
    return ARCIUM_IDL.decode_account("ComputationDefinitionAccount", data)


def decode_cluster(data: bytes) -> dict:
    return ARCIUM_IDL.decode_account("Cluster", data)


def callback_instruction(submitter: Pubkey, computation: Pubkey, comp: dict, outputs: dict,
                         signatures: list[dict]) -> Instruction:
    """``callback_computation`` for a decoded ComputationAccount ``comp`` (callback accounts appended).

    ``signatures``: ``NodeSignature`` values (``node_signature``) of the cluster's nodes."""
    accs = ArciumAccounts(comp["mxe_program_id"], comp["cluster_offset"])
    comp_def = enc.comp_def_pda(comp["mxe_program_id"], comp["comp_def_offset"])
    remaining = [AccountMeta(c["pubkey"], False, c["is_writable"]) for c in comp["callback_accounts"]]
    metas = ARCIUM_IDL.account_metas("callback_computation", {
        "submitter": submitter, "computation": computation, "mxe": accs.mxe, "cluster": accs.cluster,
        "comp_def": comp_def, "mempool": accs.mempool, "executing_pool": accs.executing_pool,
        "mxe_program": comp["mxe_program_id"]})
    data = ARCIUM_IDL.encode_instruction("callback_computation", {"outputs": outputs, "signatures": signatures})
    return Instruction(ARCIUM_PROGRAM_ID, data, metas + remaining)


def expire_instruction(caller: Pubkey, computation: Pubkey, comp: dict) -> Instruction:
    """``expire_computation``: anyone may abort a computation left queued past its expiry slot."""
    accs = ArciumAccounts(comp["mxe_program_id"], comp["cluster_offset"])
    comp_def = enc.comp_def_pda(comp["mxe_program_id"], comp["comp_def_offset"])
    remaining = [AccountMeta(c["pubkey"], False, c["is_writable"]) for c in comp["callback_accounts"]]
    metas = ARCIUM_IDL.account_metas("expire_computation", {
        "caller": caller, "computation": computation, "mxe": accs.mxe, "comp_def": comp_def,
        "mempool": accs.mempool, "executing_pool": accs.executing_pool, "mxe_program": comp["mxe_program_id"]})
    return Instruction(ARCIUM_PROGRAM_ID, ARCIUM_IDL.encode_instruction("expire_computation", {}), metas + remaining)

"""From a queued computation account to a signed callback transaction (transport-free).

Why separate from the process loop: the same steps serve the node (over JSON-RPC), the unit
tests (against an in-process Bank) and the benchmark. Each step is a plain function of data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.mxe.executor import ComputationRejected, MxeKeys, Placement, execute
from localnet.mxe.keys import NodeKeys
from protocol import arcium_codec as ac
from protocol.otc_codec import CIRCUIT_BY_OFFSET, Circuit
from protocol.program_ids import OTC_PROGRAM_ID

AccountReader = Callable[[Pubkey], bytes | None]


@dataclass(frozen=True)
class Result:
    computation: Pubkey
    circuit: str
    outputs: dict          # ComputationOutputs value
    rejected_reason: str | None


def is_queued(data: bytes) -> bool:
    return (len(data) > ac.COMPUTATION_STATUS_OFFSET and data[:8] == ac.COMPUTATION_DISCRIMINATOR
            and data[ac.COMPUTATION_STATUS_OFFSET] == ac.STATUS_NAMES.index("Queued"))


def circuit_of(comp: dict) -> Circuit | None:
    """The OTC circuit a queued computation runs (None: not one of ours, a Failure result)."""
    circuit = CIRCUIT_BY_OFFSET.get(comp["comp_def_offset"])
    return circuit if circuit is not None and comp["mxe_program_id"] == OTC_PROGRAM_ID else None


def unknown_circuit(computation: Pubkey) -> Result:
    return Result(computation, "?", ac.failure(ac.FAILURE_REJECTED), "unknown circuit")


def compute(computation: Pubkey, comp: dict, read_account: AccountReader, keys: NodeKeys) -> Result:
    """Run the computation; malformed or tampered inputs give a Failure output, never an exception.

    ``read_account`` must return None for an account the OTC program does not own: only that
    program writes MXE state, so state bytes anywhere else are copies (see ``otc_owned``)."""
    circuit = circuit_of(comp)
    if circuit is None:
        return unknown_circuit(computation)
    try:
        output = execute(circuit.name, comp["arguments"], read_account, MxeKeys(keys.x25519_secret),
                         Placement.of(computation, comp))
    except ComputationRejected as exc:
        return Result(computation, circuit.name, ac.failure(ac.FAILURE_REJECTED), str(exc))
    return Result(computation, circuit.name, ac.success(output), None)


def otc_owned(owner: Pubkey, data: bytes) -> bytes | None:
    """An account's data as the node may read it for Enc<Mxe> state: only if the OTC program owns it."""
    return bytes(data) if owner == OTC_PROGRAM_ID else None


def sign(keys: NodeKeys, computation: Pubkey, outputs: dict) -> dict:
    """The node's ``NodeSignature`` over callback_message(computation, outputs)."""
    sig = bytes(keys.node.sign_message(ac.callback_message(computation, ac.encode_outputs(outputs))))
    return ac.node_signature(keys.index, sig)


def callback_transaction(keys: NodeKeys | Sequence[NodeKeys], result: Result, comp: dict, blockhash: Hash,
                         signatures: Sequence[dict] | None = None) -> VersionedTransaction:
    """A v0 transaction paid by the (first) node that delivers ``result`` through callback_computation.

    ``keys`` may be one node or several (in-process tests: every node signs); ``signatures``
    overrides the signatures carried (the node process passes the ones it gathered from peers)."""
    signers = [keys] if isinstance(keys, NodeKeys) else list(keys)
    if signatures is None:
        signatures = [sign(k, result.computation, result.outputs) for k in signers]
    ix = ac.callback_instruction(signers[0].node.pubkey(), result.computation, comp, result.outputs, list(signatures))
    return signed_transaction(signers[0], [ix], blockhash)


def expire_transaction(keys: NodeKeys, computation: Pubkey, comp: dict, blockhash: Hash) -> VersionedTransaction:
    ix = ac.expire_instruction(keys.node.pubkey(), computation, comp)
    return signed_transaction(keys, [ix], blockhash)


def signed_transaction(keys: NodeKeys, ixs: list[Instruction], blockhash: Hash) -> VersionedTransaction:
    msg = MessageV0.try_compile(keys.node.pubkey(), ixs, [], blockhash)
    return VersionedTransaction(msg, [keys.node])

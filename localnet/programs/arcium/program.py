"""The arcium program of the local cluster: MXE account, computation definitions, queue, callbacks.

Why it exists: an MXE program (OTC) must not trust whoever submits a result. It queues work here
by CPI; the MXE cluster's nodes read the computation account, compute, and anyone may submit the
result as long as enough distinct nodes registered in the Cluster account signed the same output
bytes (``required_signatures``, all N by default). This program checks those signatures,
moves the computation from Queued to Finalized/Failed exactly once (so a result is never
delivered twice), and only then calls the MXE program's callback by CPI, signing as the
computation account PDA so the callee knows the call came from here. Computations nobody
answers within 180 slots can be expired by anyone, which delivers a Failure callback.

Signature check: Solana programs verify ed25519 through the Ed25519SigVerify precompile and the
Instructions sysvar; this Python runtime has no precompiles, so the program verifies the
signatures itself (PyNaCl) and charges ED25519_VERIFY_UNITS per signature, standing in for that
precompile.
The signed message is ``protocol.arcium_codec.callback_message`` (domain ‖ computation ‖
sha256(outputs)).
"""
from __future__ import annotations

import hashlib
import struct

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from localnet.programs.anchor_framework import dispatch, emit, fail, load, system_create_account, system_transfer
from localnet.runtime.program_api import AccountInfo, InvokeContext, ProgramError
from protocol import arcium_codec as ac
from protocol import arcium_encoding as enc
from protocol.program_ids import ARCIUM_PROGRAM_ID

IDL = ac.ARCIUM_IDL
ED25519_VERIFY_UNITS = 2_280
MXE_SPACE = ac.mxe_account_space()
_FIXED = {  # addresses of the singleton accounts of the local cluster (cluster offset 0)
    "mempool": ("Mempool", enc.mempool_pda(ac.LOCAL_CLUSTER_OFFSET)),
    "executing_pool": ("ExecutingPool", enc.execpool_pda(ac.LOCAL_CLUSTER_OFFSET)),
    "cluster": ("Cluster", enc.cluster_pda(ac.LOCAL_CLUSTER_OFFSET)),
    "pool": ("FeePool", enc.fee_pool_pda()),
    "clock": ("ClockAccount", enc.clock_pda()),
}


def _write(account: AccountInfo, data: bytes) -> None:
    """Overwrite an account's data in place (fixed allocation; trailing bytes zeroed)."""
    if len(data) > len(account.data):
        raise ProgramError("AccountDataTooSmall")
    account.data[:] = data + bytes(len(account.data) - len(data))


class ArciumProgram:
    program_id = ARCIUM_PROGRAM_ID

    def process_instruction(self, ctx: InvokeContext, accounts, data: bytes) -> None:
        name, args, acc = dispatch(ctx, IDL, accounts, data)
        remaining = list(accounts[len(IDL.account_names(name)):])
        getattr(self, "_" + name)(ctx, args, acc, remaining)

    # -- shared checks ---------------------------------------------------------------------
    def _fixed(self, ctx: InvokeContext, acc, name: str) -> dict:
        type_name, key = _FIXED[name]
        if acc[name].key != key:
            raise fail(ctx, IDL, "InvalidArciumAccount", f"{name} must be {key}")
        return load(ctx, IDL, acc[name], type_name, ARCIUM_PROGRAM_ID, "InvalidArciumAccount")

    def _mxe(self, ctx: InvokeContext, account: AccountInfo) -> dict:
        mxe = load(ctx, IDL, account, "MXEAccount", ARCIUM_PROGRAM_ID, "InvalidArciumAccount")
        want = ctx.create_program_address([b"MXEAccount", bytes(mxe["mxe_program_id"]), bytes([mxe["bump"]])],
                                          ARCIUM_PROGRAM_ID)
        if account.key != want:
            raise fail(ctx, IDL, "InvalidArciumAccount", "mxe is not the MXEAccount PDA")
        return mxe

    def _caller_is_mxe(self, ctx: InvokeContext, mxe: dict, sign_pda: AccountInfo) -> None:
        """Only the MXE program itself, by CPI, signing with its ArciumSignerAccount PDA."""
        if ctx.caller_program_id() != mxe["mxe_program_id"]:
            raise fail(ctx, IDL, "UnauthorizedCaller", f"caller {ctx.caller_program_id()} is not the MXE program")
        want, _ = ctx.find_program_address([b"ArciumSignerAccount"], mxe["mxe_program_id"])
        if sign_pda.key != want or not sign_pda.is_signer:
            raise fail(ctx, IDL, "InvalidSignerPda")

    def _comp_def(self, ctx: InvokeContext, account: AccountInfo, mxe_program_id: Pubkey, offset: int | None) -> dict:
        cd = load(ctx, IDL, account, "ComputationDefinitionAccount", ARCIUM_PROGRAM_ID, "CompDefMismatch")
        seeds = [b"ComputationDefinitionAccount", bytes(mxe_program_id), struct.pack("<I", cd["comp_def_offset"]),
                 bytes([cd["bump"]])]
        if (cd["mxe_program_id"] != mxe_program_id or (offset is not None and cd["comp_def_offset"] != offset)
                or account.key != ctx.create_program_address(seeds, ARCIUM_PROGRAM_ID)):
            raise fail(ctx, IDL, "CompDefMismatch")
        return cd

    # -- init_computation_definition --------------------------------------------------------
    def _init_computation_definition(self, ctx: InvokeContext, args: dict, acc, remaining) -> None:
        mxe = self._mxe(ctx, acc.mxe)
        self._caller_is_mxe(ctx, mxe, acc.sign_pda_account)
        offset = args["comp_def_offset"]
        if enc.comp_def_offset(args["circuit_name"]) != offset:
            raise fail(ctx, IDL, "CompDefMismatch", "offset must be sha256(circuit_name)[0..4] LE")
        seeds = [b"ComputationDefinitionAccount", bytes(mxe["mxe_program_id"]), struct.pack("<I", offset)]
        want, bump = ctx.find_program_address(seeds, ARCIUM_PROGRAM_ID)
        if acc.comp_def.key != want:
            raise fail(ctx, IDL, "CompDefMismatch", f"comp_def must be {want}")
        if acc.comp_def.owner == ARCIUM_PROGRAM_ID or offset in mxe["computation_definitions"]:
            raise fail(ctx, IDL, "CompDefAlreadyInitialized")
        if len(mxe["computation_definitions"]) >= ac.MAX_COMP_DEFS:
            raise fail(ctx, IDL, "CompDefTableFull")
        record = IDL.encode_account("ComputationDefinitionAccount", {
            "mxe_program_id": mxe["mxe_program_id"], "comp_def_offset": offset, "output_len": args["output_len"],
            "callback_discriminator": args["callback_discriminator"], "bump": bump,
            "circuit_name": args["circuit_name"], "parameters": args["parameters"]})
        system_create_account(ctx, acc.system_program, acc.payer, acc.comp_def, len(record), ARCIUM_PROGRAM_ID,
                              seeds + [bytes([bump])])
        _write(acc.comp_def, record)
        mxe["computation_definitions"].append(offset)
        _write(acc.mxe, IDL.encode_account("MXEAccount", mxe))
        ctx.log(f"registered computation definition {args['circuit_name']} ({offset})")

    # -- queue_computation -------------------------------------------------------------------
    def _queue_computation(self, ctx: InvokeContext, args: dict, acc, remaining) -> None:
        mxe = self._mxe(ctx, acc.mxe)
        self._caller_is_mxe(ctx, mxe, acc.sign_pda_account)
        cd = self._comp_def(ctx, acc.comp_def, mxe["mxe_program_id"], None)
        mempool = self._fixed(ctx, acc, "mempool")
        self._fixed(ctx, acc, "executing_pool")
        self._fixed(ctx, acc, "cluster")
        self._fixed(ctx, acc, "clock")
        pool = self._fixed(ctx, acc, "pool")
        arguments, callbacks = args["arguments"], args["callback_accounts"]
        if len(arguments) > ac.MAX_ARGUMENTS or len(callbacks) > ac.MAX_CALLBACK_ACCOUNTS:
            raise fail(ctx, IDL, "TooManyArguments")
        kinds = bytes(ac.ARGUMENT_KINDS.index(ac.argument_kind(a)) for a in arguments)
        if kinds != cd["parameters"]:
            raise fail(ctx, IDL, "ArgumentMismatch", f"{cd['circuit_name']} takes {cd['parameters'].hex()}")
        cluster = mxe["cluster"]
        seeds = [b"ComputationAccount", struct.pack("<I", cluster), struct.pack("<Q", args["computation_offset"])]
        want, bump = ctx.find_program_address(seeds, ARCIUM_PROGRAM_ID)
        if acc.computation.key != want:
            raise fail(ctx, IDL, "InvalidArciumAccount", f"computation must be {want}")
        if acc.computation.owner == ARCIUM_PROGRAM_ID or len(acc.computation.data):
            raise fail(ctx, IDL, "ComputationOffsetInUse")
        if pool["computation_fee"]:
            system_transfer(ctx, acc.system_program, acc.payer, acc.pool, pool["computation_fee"])
            pool["collected"] += pool["computation_fee"]
            _write(acc.pool, IDL.encode_account("FeePool", pool))
        slot = ctx.clock().slot
        sequence = mempool["queued_total"]
        record = IDL.encode_account("ComputationAccount", {
            "status": "Queued", "sequence": sequence, "mxe_program_id": mxe["mxe_program_id"],
            "comp_def_offset": cd["comp_def_offset"], "computation_offset": args["computation_offset"],
            "cluster_offset": cluster, "payer": acc.payer.key, "queued_slot": slot,
            "expires_slot": slot + ac.COMPUTATION_EXPIRY_SLOTS, "finalized_slot": 0, "output_hash": bytes(32),
            "bump": bump, "callback_accounts": callbacks, "arguments": arguments})
        system_create_account(ctx, acc.system_program, acc.payer, acc.computation, len(record), ARCIUM_PROGRAM_ID,
                              seeds + [bytes([bump])])
        _write(acc.computation, record)
        mempool["queued_total"] += 1
        mempool["pending"] += 1
        _write(acc.mempool, IDL.encode_account("Mempool", mempool))
        emit(ctx, IDL, "ComputationQueued", {
            "computation": acc.computation.key, "sequence": sequence, "mxe_program_id": mxe["mxe_program_id"],
            "comp_def_offset": cd["comp_def_offset"], "computation_offset": args["computation_offset"]})

    # -- delivering results ------------------------------------------------------------------
    def _load_queued(self, ctx: InvokeContext, acc) -> tuple[dict, dict, dict]:
        comp = load(ctx, IDL, acc.computation, "ComputationAccount", ARCIUM_PROGRAM_ID, "InvalidArciumAccount")
        if comp["status"] != "Queued":
            raise fail(ctx, IDL, "ComputationNotQueued", f"computation is {comp['status']}")
        mxe = self._mxe(ctx, acc.mxe)
        if mxe["mxe_program_id"] != comp["mxe_program_id"]:
            raise fail(ctx, IDL, "InvalidArciumAccount", "mxe does not match the computation")
        cd = self._comp_def(ctx, acc.comp_def, comp["mxe_program_id"], comp["comp_def_offset"])
        if acc.mxe_program.key != comp["mxe_program_id"] or not acc.mxe_program.executable:
            raise fail(ctx, IDL, "InvalidArciumAccount", "mxe_program must be the computation's MXE program")
        return comp, mxe, cd

    def _callback_computation(self, ctx: InvokeContext, args: dict, acc, remaining) -> None:
        comp, mxe, cd = self._load_queued(ctx, acc)
        if ctx.clock().slot > comp["expires_slot"]:
            raise fail(ctx, IDL, "ComputationExpired")
        if ac.mxe_keys(mxe) is None:
            raise fail(ctx, IDL, "MxeKeysNotSet")
        outputs = args["outputs"]
        outputs_borsh = ac.encode_outputs(outputs)
        self._check_node_signatures(ctx, acc, args["signatures"], hashlib.sha256(outputs_borsh).digest())
        if "Success" in outputs and len(outputs["Success"]["output"]) != cd["output_len"]:
            raise fail(ctx, IDL, "OutputLengthMismatch", f"expected {cd['output_len']} bytes")
        status = "Finalized" if "Success" in outputs else "Failed"
        self._finish(ctx, acc, remaining, comp, cd, status, outputs, outputs_borsh)

    def _check_node_signatures(self, ctx: InvokeContext, acc, signatures: list[dict], want_hash: bytes) -> None:
        """At least ``required_signatures`` distinct registered nodes signed exactly these outputs.

        A signature that names other outputs (``other_output_hash``) is checked over that hash, so
        a node that computed something else is named (NodeOutputsDiffer) rather than lumped with
        forgeries (InvalidNodeSignature, also what a key outside the cluster gets)."""
        cluster = self._fixed(ctx, acc, "cluster")
        nodes = cluster["nodes"]
        seen: set[int] = set()
        for s in signatures:
            i = s["node_index"]
            if i >= len(nodes):
                raise fail(ctx, IDL, "UnregisteredNode", f"node {i} is not registered ({len(nodes)} nodes)")
            if i in seen:
                raise fail(ctx, IDL, "DuplicateNodeSignature", f"node {i} signed twice")
            seen.add(i)
            signed = want_hash if s["other_output_hash"] is None else bytes(s["other_output_hash"])
            ctx.consume(ED25519_VERIFY_UNITS)
            try:
                VerifyKey(bytes(nodes[i]["ed25519"])).verify(
                    ac.callback_message_for_hash(acc.computation.key, signed), bytes(s["signature"]))
            except (BadSignatureError, ValueError):
                raise fail(ctx, IDL, "InvalidNodeSignature", f"not signed by node {i}") from None
            if signed != want_hash:
                raise fail(ctx, IDL, "NodeOutputsDiffer", f"node {i} signed other outputs")
        if len(seen) < cluster["required_signatures"]:
            raise fail(ctx, IDL, "NotEnoughNodeSignatures",
                       f"{len(seen)} of {cluster['required_signatures']} required node signatures")

    def _expire_computation(self, ctx: InvokeContext, args: dict, acc, remaining) -> None:
        comp, _mxe, cd = self._load_queued(ctx, acc)
        if ctx.clock().slot <= comp["expires_slot"]:
            raise fail(ctx, IDL, "ComputationNotExpired", f"expires after slot {comp['expires_slot']}")
        outputs = ac.failure(ac.FAILURE_EXPIRED)
        self._finish(ctx, acc, remaining, comp, cd, "Expired", outputs, ac.encode_outputs(outputs))

    def _finish(self, ctx: InvokeContext, acc, remaining: list[AccountInfo], comp: dict, cd: dict, status: str,
                outputs: dict, outputs_borsh: bytes) -> None:
        """Record the final status, then hand the outputs to the MXE program's callback by CPI."""
        wanted = comp["callback_accounts"]
        if len(remaining) < len(wanted) or any(
                info.key != w["pubkey"] or (w["is_writable"] and not info.is_writable)
                for info, w in zip(remaining, wanted)):
            raise fail(ctx, IDL, "CallbackAccountsMismatch")
        comp["status"] = status
        comp["finalized_slot"] = ctx.clock().slot
        comp["output_hash"] = hashlib.sha256(outputs_borsh).digest()
        _write(acc.computation, IDL.encode_account("ComputationAccount", comp))
        mempool = self._fixed(ctx, acc, "mempool")
        mempool["pending"] = max(0, mempool["pending"] - 1)
        _write(acc.mempool, IDL.encode_account("Mempool", mempool))
        pool = self._fixed(ctx, acc, "executing_pool")
        pool[{"Finalized": "finalized_total", "Failed": "failed_total", "Expired": "expired_total"}[status]] += 1
        _write(acc.executing_pool, IDL.encode_account("ExecutingPool", pool))
        emit(ctx, IDL, "ComputationFinalized", {"computation": acc.computation.key, "status": status,
                                                "output_hash": comp["output_hash"]})
        data = bytes(cd["callback_discriminator"]) + outputs_borsh
        metas = [AccountMeta(acc.computation.key, True, False)]
        metas += [AccountMeta(w["pubkey"], False, w["is_writable"]) for w in wanted]
        seeds = [b"ComputationAccount", struct.pack("<I", comp["cluster_offset"]),
                 struct.pack("<Q", comp["computation_offset"]), bytes([comp["bump"]])]
        infos = [acc.computation, *remaining[:len(wanted)], acc.mxe_program]
        ctx.invoke_signed(Instruction(comp["mxe_program_id"], data, metas), infos, [seeds])

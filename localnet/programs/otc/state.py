"""Loading, checking and storing the OTC program's accounts, and queueing work on the MXE.

Why a module of its own: the instruction handlers (``program.py``) and the callbacks
(``callbacks.py``) both read/write DealAccount/OfferAccount records and talk to the arcium
program; keeping that plumbing here keeps each handler about its seed-003 rule.
"""
from __future__ import annotations

from typing import Sequence

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from localnet.programs.anchor_framework import emit, fail, load
from localnet.runtime.program_api import AccountInfo, InvokeContext, ProgramError
from protocol import arcium_codec as ac
from protocol import arcium_encoding as enc
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID, OTC_PROGRAM_ID

IDL = otc.OTC_IDL
SIGN_PDA, SIGN_PDA_BUMP = enc.signer_pda(OTC_PROGRAM_ID)
MINT_LEN = 82
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")


def err(ctx: InvokeContext, name: str, detail: str | None = None) -> ProgramError:
    return fail(ctx, IDL, name, detail)


def require_signer(account: AccountInfo, what: str) -> None:
    if not account.is_signer:
        raise ProgramError("MissingRequiredSignature", f"{what} must sign")


def load_deal(ctx: InvokeContext, account: AccountInfo) -> dict:
    return load(ctx, IDL, account, "DealAccount", OTC_PROGRAM_ID, "InvalidPda")


def load_offer(ctx: InvokeContext, account: AccountInfo) -> dict:
    return load(ctx, IDL, account, "OfferAccount", OTC_PROGRAM_ID, "InvalidPda")


def store(account: AccountInfo, type_name: str, value: dict) -> None:
    data = IDL.encode_account(type_name, value)
    if len(data) != len(account.data):
        raise ProgramError("AccountDataSizeChanged")
    account.data[:] = data


def check_deal_pda(ctx: InvokeContext, account: AccountInfo, deal: dict) -> None:
    want = ctx.create_program_address([b"deal", bytes(deal["create_key"]), bytes([deal["bump"]])], OTC_PROGRAM_ID)
    if account.key != want:
        raise err(ctx, "InvalidPda", "deal is not at its PDA")


def require_open_deal(ctx: InvokeContext, deal: dict) -> None:
    if deal["status"] == otc.DEAL_ABORTED:
        raise err(ctx, "DealAborted")
    if deal["status"] != otc.DEAL_OPEN:
        raise err(ctx, "DealNotOpen", f"deal is {otc.DEAL_STATUS_NAMES.get(deal['status'])}")
    if not deal["state_ready"]:
        raise err(ctx, "StateNotReady", "wait for DealCreated")


def check_arcium_accounts(ctx: InvokeContext, acc, circuit: str, computation_offset: int) -> None:
    """The standard Arcium accounts must be this MXE's, for this circuit (arcium re-checks the rest)."""
    want = otc.OTC_ARCIUM.queue_accounts(circuit, computation_offset)
    for name, key in want.items():
        if acc[name].key != key:
            raise err(ctx, "InvalidArciumAccount", f"{name} must be {key}")
    if acc.arcium_program.key != ARCIUM_PROGRAM_ID:
        raise err(ctx, "InvalidArciumAccount", "arcium_program")


def queue(ctx: InvokeContext, acc, circuit: str, computation_offset: int, arguments: list,
          callback_accounts: Sequence[tuple[Pubkey, bool]]) -> None:
    """CPI arcium.queue_computation, signed by this program's ArciumSignerAccount PDA."""
    check_arcium_accounts(ctx, acc, circuit, computation_offset)
    data = ac.ARCIUM_IDL.encode_instruction("queue_computation", {
        "computation_offset": computation_offset, "arguments": arguments,
        "callback_accounts": [{"pubkey": k, "is_writable": w} for k, w in callback_accounts]})
    names = ["payer", "sign_pda_account", "mxe", "mempool", "executing_pool", "computation", "comp_def",
             "cluster", "pool", "clock", "system_program"]
    metas = [AccountMeta(acc[n].key, n in ("payer", "sign_pda_account"),
                         n in ("payer", "mempool", "computation", "pool")) for n in names]
    ctx.invoke_signed(Instruction(ARCIUM_PROGRAM_ID, data, metas), [acc[n] for n in names] + [acc.arcium_program],
                      [[b"ArciumSignerAccount", bytes([SIGN_PDA_BUMP])]])


def init_comp_def(ctx: InvokeContext, acc, circuit: str) -> None:
    """CPI arcium.init_computation_definition for one of the four circuits."""
    c = otc.CIRCUITS[circuit]
    if acc.sign_pda_account.key != SIGN_PDA or acc.mxe.key != otc.OTC_ARCIUM.mxe \
            or acc.comp_def.key != otc.OTC_ARCIUM.comp_def(circuit) or acc.arcium_program.key != ARCIUM_PROGRAM_ID:
        raise err(ctx, "InvalidArciumAccount")
    require_signer(acc.payer, "payer")
    data = ac.ARCIUM_IDL.encode_instruction("init_computation_definition", {
        "comp_def_offset": c.offset, "circuit_name": c.name, "parameters": c.parameter_bytes,
        "output_len": c.output_len, "callback_discriminator": bytes(IDL.instructions[c.callback]["discriminator"])})
    names = ["payer", "sign_pda_account", "mxe", "comp_def", "system_program"]
    metas = [AccountMeta(acc[n].key, n in ("payer", "sign_pda_account"), n in ("payer", "mxe", "comp_def"))
             for n in names]
    ctx.invoke_signed(Instruction(ARCIUM_PROGRAM_ID, data, metas), [acc[n] for n in names] + [acc.arcium_program],
                      [[b"ArciumSignerAccount", bytes([SIGN_PDA_BUMP])]])


def callback_outputs(ctx: InvokeContext, acc, circuit: str, output: dict) -> dict:
    """Accept a callback only from arcium, for a finished computation of ``circuit`` of this MXE."""
    comp_acc = acc.computation
    if ctx.caller_program_id() != ARCIUM_PROGRAM_ID or not comp_acc.is_signer or comp_acc.owner != ARCIUM_PROGRAM_ID:
        raise err(ctx, "UnauthorizedCallback")
    try:
        comp = ac.decode_computation(bytes(comp_acc.data))
    except ValueError:
        raise err(ctx, "UnauthorizedCallback", "not a computation account") from None
    if (comp["mxe_program_id"] != OTC_PROGRAM_ID or comp["comp_def_offset"] != otc.CIRCUITS[circuit].offset
            or comp["status"] == "Queued"):
        raise err(ctx, "UnauthorizedCallback", "computation does not belong to this callback")
    return output


def split(ctx: InvokeContext, circuit: str, output: bytes) -> list:
    try:
        return otc.split_output(circuit, bytes(output))
    except enc.EncodingError as exc:
        raise err(ctx, "MalformedOutput", str(exc)) from None


def sealed_fields(sealed: enc.SharedEncrypted) -> dict:
    return {"encryption_key": sealed.encryption_key, "nonce": sealed.nonce, "ciphertexts": list(sealed.ciphertexts)}


def aborted(ctx: InvokeContext, account: Pubkey, circuit: str, reason: int) -> None:
    ctx.log(f"{circuit} computation aborted (reason {reason}); no encrypted state changed")
    emit(ctx, IDL, "ComputationAborted", {"account": account, "circuit": circuit, "reason": reason})


def close_account(ctx: InvokeContext, account: AccountInfo, receiver: AccountInfo) -> int:
    """Anchor's ``close``: move all lamports to ``receiver``, zero and free the data."""
    lamports = account.lamports
    receiver.lamports += lamports
    account.lamports = 0
    account.data[:] = bytes(len(account.data))
    account.data = bytearray()
    account.owner = Pubkey.from_string("11111111111111111111111111111111")
    emit(ctx, IDL, "AccountClosed", {"account": account.key, "rent_receiver": receiver.key, "lamports": lamports})
    return lamports

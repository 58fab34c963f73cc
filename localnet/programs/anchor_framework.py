"""Anchor-style plumbing shared by the cluster's Anchor programs (Market, OrderStore,
OrderProcessor, Arcium, OTC).

Why: they all decode "discriminator ‖ Borsh" instruction data from their IDL, name their
accounts by the IDL's order, refuse with named 6000+ errors (logged the way Anchor logs them,
so a wallet can show the reason), emit events as ``Program data:`` lines, and move lamports and
USDC through System/SPL Token CPIs. Doing that once keeps each program about its business rules.
"""
from __future__ import annotations

import struct
from typing import Any, Callable, ClassVar, Sequence

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from localnet.runtime.program_api import AccountInfo, InvokeContext, ProgramError
from protocol.bn254 import SCALAR_FIELD as BN254_R
from protocol.idl import Idl, IdlError
from protocol.program_ids import SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID

TOKEN_ACCOUNT_LEN = 165


class Named(dict):
    """Accounts of one instruction by IDL name (a dict of AccountInfo); ``remaining`` holds the
    accounts past the IDL's list (Anchor's remaining_accounts), in order."""

    remaining: list

    def __getattr__(self, name: str) -> AccountInfo:
        return self[name]


def dispatch(ctx: InvokeContext, idl: Idl, accounts: Sequence[AccountInfo], data: bytes) -> tuple[str, dict, Named]:
    """Decode the instruction, log its name like Anchor, and name its accounts."""
    try:
        name, args = idl.decode_instruction(bytes(data))
    except IdlError as exc:
        ctx.log(f"AnchorError occurred. Error Code: InstructionDidNotDeserialize. Error Number: 102. Error Message: {exc}.")
        raise ProgramError.custom(102, str(exc)) from None
    ctx.log("Instruction: " + "".join(part.capitalize() for part in name.split("_")))
    names = idl.account_names(name)
    if len(accounts) < len(names):
        ctx.log(f"{idl.name}.{name} needs {len(names)} accounts, got {len(accounts)}")
        raise ProgramError("NotEnoughAccountKeys")
    named = Named(zip(names, accounts))
    named.remaining = list(accounts[len(names):])   # Anchor's remaining_accounts
    return name, args, named


Handler = Callable[[InvokeContext, Named, dict], None]


class AnchorProgram:
    """A program whose instructions are the IDL's, each handled by ``handlers[name]``.

    Why a base class: decoding, the ``Instruction: X`` log line, the fixed compute charge for the
    program's own work (``cu_base``, what its SBF code would cost) and the dispatch are the same
    for every such program; subclasses name only their id, IDL, charge and handlers.
    """

    program_id: ClassVar[Pubkey]
    idl: ClassVar[Idl]
    cu_base: ClassVar[int] = 0
    handlers: ClassVar[dict[str, Handler]]

    def process_instruction(self, ctx: InvokeContext, accounts: Sequence[AccountInfo], data: bytes) -> None:
        name, args, acc = dispatch(ctx, self.idl, accounts, data)
        ctx.consume(self.cu_base)
        self.handlers[name](ctx, acc, args)


def fail(ctx: InvokeContext, idl: Idl, error: str, detail: str | None = None) -> ProgramError:
    """The named program error, logged as Anchor logs it; raise the returned exception."""
    code = idl.error_code(error)
    msg = idl.errors[error].get("msg", error)
    ctx.log(f"AnchorError occurred. Error Code: {error}. Error Number: {code}. Error Message: {msg}.")
    if detail:
        ctx.log(detail)
    return ProgramError.custom(code, f"{error}: {detail or msg}")


def emit(ctx: InvokeContext, idl: Idl, event: str, fields: dict[str, Any]) -> None:
    ctx.log_data(idl.encode_event(event, fields))


def load(ctx: InvokeContext, idl: Idl, account: AccountInfo, type_name: str, owner: Pubkey, error: str) -> dict:
    """Decode a program account, refusing wrong owners and wrong discriminators."""
    if account.owner != owner:
        raise fail(ctx, idl, error, f"{account.key} is not owned by {owner}")
    try:
        return idl.decode_account(type_name, bytes(account.data))
    except IdlError as exc:
        raise fail(ctx, idl, error, f"{account.key}: {exc}") from None


def expect_key(ctx: InvokeContext, idl: Idl, account: AccountInfo, expected: Pubkey, what: str,
               error: str = "AccountMismatch") -> None:
    if account.key != expected:
        raise fail(ctx, idl, error, f"{what}: expected {expected}, got {account.key}")


def field_bytes(value: bytes) -> int:
    """A 32-byte big-endian BN254 scalar, or -1 when out of range."""
    v = int.from_bytes(value, "big")
    return v if v < BN254_R else -1


# ------------------------------------------------------------------ SPL Token
def token_account(info: AccountInfo) -> tuple[Pubkey, Pubkey, int] | None:
    """(mint, owner, amount) of an initialized SPL token account, else None."""
    if info.owner != TOKEN_PROGRAM_ID or len(info.data) != TOKEN_ACCOUNT_LEN or info.data[108] == 0:
        return None
    data = bytes(info.data[:72])
    return Pubkey.from_bytes(data[:32]), Pubkey.from_bytes(data[32:64]), struct.unpack_from("<Q", data, 64)[0]


def token_transfer(ctx: InvokeContext, token_program: AccountInfo, source: AccountInfo, dest: AccountInfo,
                   authority: AccountInfo, amount: int, seeds: Sequence[Sequence[bytes]] = ()) -> None:
    ix = Instruction(TOKEN_PROGRAM_ID, bytes([3]) + struct.pack("<Q", amount), [
        AccountMeta(source.key, False, True), AccountMeta(dest.key, False, True),
        AccountMeta(authority.key, True, False)])
    ctx.invoke_signed(ix, [source, dest, authority, token_program], seeds)


def token_initialize_account3(ctx: InvokeContext, token_program: AccountInfo, account: AccountInfo,
                              mint: AccountInfo, owner: Pubkey) -> None:
    ix = Instruction(TOKEN_PROGRAM_ID, bytes([18]) + bytes(owner), [
        AccountMeta(account.key, False, True), AccountMeta(mint.key, False, False)])
    ctx.invoke(ix, [account, mint, token_program])


# ------------------------------------------------------------------ System
def system_create_account(ctx: InvokeContext, system_program: AccountInfo, payer: AccountInfo, new: AccountInfo,
                          space: int, owner: Pubkey, seeds: Sequence[bytes]) -> None:
    """Create a PDA account, also when someone pre-funded its address (transfer+allocate+assign)."""
    need = ctx.rent().minimum_balance(space)
    if new.lamports == 0:
        data = struct.pack("<IQQ", 0, need, space) + bytes(owner)
        ix = Instruction(SYSTEM_PROGRAM_ID, data, [AccountMeta(payer.key, True, True), AccountMeta(new.key, True, True)])
        ctx.invoke_signed(ix, [payer, new, system_program], [seeds])
        return
    if new.lamports < need:
        system_transfer(ctx, system_program, payer, new, need - new.lamports)
    alloc = Instruction(SYSTEM_PROGRAM_ID, struct.pack("<IQ", 8, space), [AccountMeta(new.key, True, True)])
    ctx.invoke_signed(alloc, [new, system_program], [seeds])
    assign = Instruction(SYSTEM_PROGRAM_ID, struct.pack("<I", 1) + bytes(owner), [AccountMeta(new.key, True, True)])
    ctx.invoke_signed(assign, [new, system_program], [seeds])


def system_transfer(ctx: InvokeContext, system_program: AccountInfo, payer: AccountInfo, to: AccountInfo,
                    lamports: int) -> None:
    ix = Instruction(SYSTEM_PROGRAM_ID, struct.pack("<IQ", 2, lamports),
                     [AccountMeta(payer.key, True, True), AccountMeta(to.key, False, True)])
    ctx.invoke(ix, [payer, to, system_program])

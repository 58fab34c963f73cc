"""Associated Token Account program (ATokenGP…): Create, CreateIdempotent.

Follows spl-associated-token-account's processor (FACTS.md 6.5): address check against
find_program_address([wallet, token program, mint]), CreateAccount by CPI signed with the
ATA's seeds (or transfer + allocate + assign when prefunded), then InitializeImmutableOwner
and InitializeAccount3 by CPI into the token program.
"""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from localnet.programs.token_state import TOKEN_PROGRAM_ID, StateError, TokenAccount
from localnet.runtime.program_api import ProgramError

ATA_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
INVALID_OWNER = 0


def _system_ix(tag: int, payload: bytes, metas: list[AccountMeta]) -> Instruction:
    return Instruction(SYSTEM_PROGRAM_ID, tag.to_bytes(4, "little") + payload, metas)


class AssociatedTokenProgram:
    program_id = ATA_PROGRAM_ID
    base_compute_units = 3_500

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        data = bytes(data)
        if not data or data == b"\0":
            idempotent = False
        elif data == b"\1":
            idempotent = True
        else:
            raise ProgramError("InvalidInstructionData")
        ctx.log("CreateIdempotent" if idempotent else "Create")
        if len(accounts) < 6:
            raise ProgramError("NotEnoughAccountKeys")
        funder, ata, wallet, mint, system, token = accounts[:6]
        address, bump = ctx.find_program_address([bytes(wallet.key), bytes(token.key), bytes(mint.key)],
                                                 self.program_id)
        if address != ata.key:
            ctx.log("Error: Associated address does not match seed derivation")
            raise ProgramError("InvalidSeeds")
        if idempotent and ata.owner == token.key:
            try:
                existing = TokenAccount.unpack_unchecked(bytes(ata.data))
            except StateError:
                raise ProgramError("InvalidAccountData") from None
            if existing.state == 0:
                raise ProgramError("UninitializedAccount")
            if existing.owner != wallet.key:
                ctx.log("Associated token account owner does not match address derivation")
                raise ProgramError.custom(INVALID_OWNER)
            if existing.mint != mint.key:
                raise ProgramError("InvalidAccountData")
            return
        if ata.owner != SYSTEM_PROGRAM_ID:
            raise ProgramError("IllegalOwner")
        infos = list(accounts)
        ctx.invoke(Instruction(token.key, bytes([21, 7, 0]), [AccountMeta(mint.key, False, False)]), infos)
        rd = ctx.get_return_data()
        if rd is None or rd[0] != token.key or len(rd[1]) != 8:
            raise ProgramError("InvalidInstructionData")
        space = int.from_bytes(rd[1], "little")
        seeds = [[bytes(wallet.key), bytes(token.key), bytes(mint.key), bytes([bump])]]
        required = max(ctx.rent().minimum_balance(space), 1)
        if ata.lamports > 0:
            top_up = required - ata.lamports
            if top_up > 0:
                ctx.invoke(_system_ix(2, top_up.to_bytes(8, "little"),
                                      [AccountMeta(funder.key, True, True), AccountMeta(ata.key, False, True)]), infos)
            ctx.invoke_signed(_system_ix(8, space.to_bytes(8, "little"), [AccountMeta(ata.key, True, True)]),
                              infos, seeds)
            ctx.invoke_signed(_system_ix(1, bytes(token.key), [AccountMeta(ata.key, True, True)]), infos, seeds)
        else:
            payload = required.to_bytes(8, "little") + space.to_bytes(8, "little") + bytes(token.key)
            ctx.invoke_signed(_system_ix(0, payload, [AccountMeta(funder.key, True, True),
                                                      AccountMeta(ata.key, True, True)]), infos, seeds)
        ctx.log("Initialize the associated token account")
        ctx.invoke(Instruction(token.key, bytes([22]), [AccountMeta(ata.key, False, True)]), infos)
        ctx.invoke(Instruction(token.key, bytes([18]) + bytes(wallet.key),
                               [AccountMeta(ata.key, False, True), AccountMeta(mint.key, False, False)]), infos)

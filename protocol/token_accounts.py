"""Associated token accounts: the address and the idempotent create instruction.

Why here and not spl-token's `spl.token.instructions`: importing that module loads `construct`
(and through it `pdb`), ~60 ms that the wallet's first window paid only to derive one address
(bench/cold_start.py). Both functions follow the SPL associated-token-account program exactly;
tests/unit/test_token_accounts.py checks them against spl-token's own for random keys.
"""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from .program_ids import ASSOCIATED_TOKEN_PROGRAM_ID, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID

CREATE_IDEMPOTENT = 1   # the ATA program's instruction index


def get_associated_token_address(owner: Pubkey, mint: Pubkey,
                                 token_program_id: Pubkey = TOKEN_PROGRAM_ID) -> Pubkey:
    """The PDA of (owner, token program, mint) under the associated-token-account program."""
    address, _bump = Pubkey.find_program_address(
        [bytes(owner), bytes(token_program_id), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM_ID)
    return address


def create_idempotent_associated_token_account(payer: Pubkey, owner: Pubkey, mint: Pubkey,
                                               token_program_id: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    """Create owner's token account for mint unless it exists (no error when it does)."""
    accounts = [
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(get_associated_token_address(owner, mint, token_program_id), is_signer=False,
                    is_writable=True),
        AccountMeta(owner, is_signer=False, is_writable=False),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
        AccountMeta(token_program_id, is_signer=False, is_writable=False),
    ]
    return Instruction(ASSOCIATED_TOKEN_PROGRAM_ID, bytes([CREATE_IDEMPOTENT]), accounts)

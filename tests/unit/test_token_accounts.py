"""protocol.token_accounts against spl-token's own derivation and instruction, for random keys."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st
from solders.pubkey import Pubkey
from spl.token.instructions import (create_idempotent_associated_token_account as spl_create,
                                    get_associated_token_address as spl_address)

from protocol.token_accounts import create_idempotent_associated_token_account, get_associated_token_address

keys = st.binary(min_size=32, max_size=32).map(Pubkey)


@settings(max_examples=60, deadline=None)
@given(keys, keys, keys)
def test_same_address_and_instruction_as_spl_token(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> None:
    assert get_associated_token_address(owner, mint) == spl_address(owner, mint)
    ours, theirs = create_idempotent_associated_token_account(payer, owner, mint), spl_create(payer, owner, mint)
    assert ours == theirs

"""Fixed program ids of the local cluster, shared by the programs and the wallet.

Why fixed: the wallet and the programs must agree on addresses without a deploy step, and a
user pointing the wallet at another cluster expects the same ids there. The ANOMI ids are
readable base58 vanity strings (each decodes to exactly 32 bytes); the Arcium id is the real
Arcium program id so that the MXE and PDA vectors of shared/arcium/SPEC.md hold unchanged.
"""
from __future__ import annotations

from solders.pubkey import Pubkey

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
NATIVE_LOADER_ID = Pubkey.from_string("NativeLoader1111111111111111111111111111111")
SYSVAR_CLOCK_ID = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")
SYSVAR_RENT_ID = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
SYSVAR_INSTRUCTIONS_ID = Pubkey.from_string("Sysvar1nstructions1111111111111111111111111")

MARKET_PROGRAM_ID = Pubkey.from_string("AnomiMarket11111111111111111111111111111111")
ORDER_STORE_PROGRAM_ID = Pubkey.from_string("AnomiStore111111111111111111111111111111111")
ORDER_PROCESSOR_PROGRAM_ID = Pubkey.from_string("AnomiProcessor11111111111111111111111111111")
OTC_PROGRAM_ID = Pubkey.from_string("AnomiPrivateDea1s11111111111111111111111111")
ARCIUM_PROGRAM_ID = Pubkey.from_string("Arcj82pX7HxYKLR92qvgZUAd7vGS1k4hQvAFcPATFdEQ")

"""SPL Token state layouts (Mint 82 bytes, Account 165 bytes) and UI amount formatting.

Why shared: the token program, the Bank's pre/post token balances and the RPC server's
jsonParsed encoding must all read the same bytes the same way (FACTS.md 6.2, 6.4).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

MINT_LEN = 82
ACCOUNT_LEN = 165
MULTISIG_LEN = 355
STATE_UNINITIALIZED, STATE_INITIALIZED, STATE_FROZEN = 0, 1, 2
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
NATIVE_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")


class StateError(ValueError):
    """Bytes that are not a valid packed state (bad COption tag, bad bool, wrong length)."""


def _copt_pubkey(b: bytes) -> Pubkey | None:
    tag = b[:4]
    if tag == b"\0\0\0\0":
        return None
    if tag == b"\1\0\0\0":
        return Pubkey.from_bytes(b[4:36])
    raise StateError("invalid COption tag")


def _pack_copt_pubkey(p: Pubkey | None) -> bytes:
    return b"\0" * 36 if p is None else b"\1\0\0\0" + bytes(p)


@dataclass
class Mint:
    mint_authority: Pubkey | None
    supply: int
    decimals: int
    is_initialized: bool
    freeze_authority: Pubkey | None

    @classmethod
    def unpack_unchecked(cls, data: bytes) -> "Mint":
        if len(data) != MINT_LEN:
            raise StateError("mint data must be 82 bytes")
        init = data[45]
        if init > 1:
            raise StateError("invalid bool")
        return cls(_copt_pubkey(data[0:36]), int.from_bytes(data[36:44], "little"), data[44], bool(init),
                   _copt_pubkey(data[46:82]))

    def pack(self) -> bytes:
        return (_pack_copt_pubkey(self.mint_authority) + self.supply.to_bytes(8, "little")
                + bytes([self.decimals, int(self.is_initialized)]) + _pack_copt_pubkey(self.freeze_authority))


@dataclass
class TokenAccount:
    mint: Pubkey
    owner: Pubkey
    amount: int
    delegate: Pubkey | None
    state: int
    is_native: int | None
    delegated_amount: int
    close_authority: Pubkey | None

    @classmethod
    def unpack_unchecked(cls, data: bytes) -> "TokenAccount":
        if len(data) != ACCOUNT_LEN:
            raise StateError("token account data must be 165 bytes")
        state = data[108]
        if state > 2:
            raise StateError("invalid account state")
        tag = data[109:113]
        if tag == b"\0\0\0\0":
            native = None
        elif tag == b"\1\0\0\0":
            native = int.from_bytes(data[113:121], "little")
        else:
            raise StateError("invalid COption tag")
        return cls(Pubkey.from_bytes(data[0:32]), Pubkey.from_bytes(data[32:64]),
                   int.from_bytes(data[64:72], "little"), _copt_pubkey(data[72:108]), state, native,
                   int.from_bytes(data[121:129], "little"), _copt_pubkey(data[129:165]))

    def pack(self) -> bytes:
        native = b"\0" * 12 if self.is_native is None else b"\1\0\0\0" + self.is_native.to_bytes(8, "little")
        return (bytes(self.mint) + bytes(self.owner) + self.amount.to_bytes(8, "little")
                + _pack_copt_pubkey(self.delegate) + bytes([self.state]) + native
                + self.delegated_amount.to_bytes(8, "little") + _pack_copt_pubkey(self.close_authority))


_AMOUNT = struct.Struct("<Q")


def fast_amount(data: bytes) -> int:
    """The token amount of a packed Account without decoding the rest (hot path)."""
    return _AMOUNT.unpack_from(data, 64)[0]


def ui_amount_string(amount: int, decimals: int) -> str:
    """Agave's real_number_string_trimmed: 420000 with 6 decimals -> "0.42"."""
    if decimals == 0:
        return str(amount)
    s = str(amount).rjust(decimals + 1, "0")
    whole, frac = s[:-decimals], s[-decimals:].rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def ui_token_amount(amount: int, decimals: int) -> dict:
    """RPC ``UiTokenAmount``."""
    return {
        "amount": str(amount),
        "decimals": decimals,
        "uiAmount": amount / 10 ** decimals,
        "uiAmountString": ui_amount_string(amount, decimals),
    }

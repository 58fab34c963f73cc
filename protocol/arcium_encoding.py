"""Arcium value encodings, sealed outputs, offsets and PDAs (SPEC §3, §4, §5, §1.1).

Why this exists: the client, the OTC program and the MXE node must agree on how a typed value
becomes field elements (one element per primitive, so an encrypted u64 and an encrypted u128
are each one 32-byte ciphertext), how a sealed output is laid out and opened, and where every
Arcium account lives. All of it is pure data transformation, shared by wallet and programs.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Sequence

from solders.pubkey import Pubkey

from protocol.program_ids import ARCIUM_PROGRAM_ID
from protocol.rescue import ELEMENT_LEN, NONCE_LEN, P, RescueCipher
from protocol.x25519 import x25519_shared_secret

HALF_P = (P + 1) // 2
FLOAT_SCALE = 2**52
FLOAT_LIMIT = 2**75

_UNSIGNED = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "u128": 128, "usize": 64}
_SIGNED = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "i128": 128, "isize": 64}


class EncodingError(ValueError):
    """A value that does not fit its declared type, or an element that decodes to no value."""


# --------------------------------------------------------------------------------------------
# §3.1 scalar encoding
# --------------------------------------------------------------------------------------------
def element_count(type_name: str) -> int:
    """How many field elements a primitive takes (a Solana pubkey takes two u128 halves)."""
    return 2 if type_name == "pubkey" else 1


def encode_value(type_name: str, value: Any) -> list[int]:
    """One primitive → its field elements (the package's ``encodeAsRescueEncryptable``)."""
    if type_name in _UNSIGNED:
        v = int(value)
        if isinstance(value, bool) or not 0 <= v < 2 ** _UNSIGNED[type_name]:
            raise EncodingError(f"{value!r} is not a {type_name}")
        return [v]
    if type_name in _SIGNED:
        bits = _SIGNED[type_name]
        v = int(value)
        if isinstance(value, bool) or not -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
            raise EncodingError(f"{value!r} is not an {type_name}")
        return [v if v >= 0 else P + v]
    if type_name == "bool":
        if value not in (True, False, 0, 1):
            raise EncodingError(f"{value!r} is not a bool")
        return [1 if value else 0]
    if type_name in ("f64", "f32"):
        v = round(float(value) * FLOAT_SCALE)
        if not -FLOAT_LIMIT * FLOAT_SCALE <= v < FLOAT_LIMIT * FLOAT_SCALE:
            raise EncodingError(f"{value!r} is outside the encodable float range [-2^75, 2^75)")
        return [v if v >= 0 else P + v]
    if type_name == "field":
        v = int(value)
        if not 0 <= v < P:
            raise EncodingError("a raw field element must be in [0, p)")
        return [v]
    if type_name == "pubkey":
        raw = bytes(value)
        if len(raw) != 32:
            raise EncodingError("a pubkey is 32 bytes")
        return [int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:], "little")]
    raise EncodingError(f"unknown Arcis type {type_name!r}")


def decode_value(type_name: str, elements: Sequence[int]) -> Any:
    """Field elements of one primitive → its value (``decodeRescueDecryptedToBigInt`` + type checks)."""
    if len(elements) != element_count(type_name):
        raise EncodingError(f"{type_name} takes {element_count(type_name)} element(s)")
    x = int(elements[0])
    if not 0 <= x < P:
        raise EncodingError("field element out of range")
    if type_name in _UNSIGNED:
        if x >= 2 ** _UNSIGNED[type_name]:
            raise EncodingError(f"decrypted element does not fit a {type_name}")
        return x
    if type_name in _SIGNED:
        v = x if x < HALF_P else x - P
        bits = _SIGNED[type_name]
        if not -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
            raise EncodingError(f"decrypted element does not fit an {type_name}")
        return v
    if type_name == "bool":
        if x not in (0, 1):
            raise EncodingError("decrypted bool is neither 0 nor 1")
        return x == 1
    if type_name in ("f64", "f32"):
        return (x if x < HALF_P else x - P) / FLOAT_SCALE
    if type_name == "field":
        return x
    if type_name == "pubkey":
        lo, hi = x, int(elements[1])
        if lo >= 2**128 or hi >= 2**128:
            raise EncodingError("decrypted pubkey half does not fit a u128")
        return lo.to_bytes(16, "little") + hi.to_bytes(16, "little")
    raise EncodingError(f"unknown Arcis type {type_name!r}")


def encode_values(types: Sequence[str], values: Sequence[Any]) -> list[int]:
    """A flattened struct/tuple (declaration order) → field elements."""
    if len(types) != len(values):
        raise EncodingError(f"{len(types)} types but {len(values)} values")
    out: list[int] = []
    for t, v in zip(types, values):
        out.extend(encode_value(t, v))
    return out


def decode_values(types: Sequence[str], elements: Sequence[int]) -> list[Any]:
    need = sum(element_count(t) for t in types)
    if len(elements) != need:
        raise EncodingError(f"expected {need} field elements, got {len(elements)}")
    out, i = [], 0
    for t in types:
        n = element_count(t)
        out.append(decode_value(t, elements[i:i + n]))
        i += n
    return out


# --------------------------------------------------------------------------------------------
# nonces and §4 sealed outputs
# --------------------------------------------------------------------------------------------
def nonce_to_u128(nonce: bytes) -> int:
    if len(nonce) != NONCE_LEN:
        raise EncodingError(f"nonce must be {NONCE_LEN} bytes")
    return int.from_bytes(nonce, "little")


def u128_to_nonce(value: int) -> bytes:
    if not 0 <= value < 2**128:
        raise EncodingError("nonce must be a u128")
    return value.to_bytes(NONCE_LEN, "little")


@dataclass(frozen=True)
class SharedEncrypted:
    """``SharedEncryptedStruct<N>``: an output sealed to one x25519 key, with its own nonce."""

    encryption_key: bytes      # the recipient's x25519 public key
    nonce: int                 # u128 output nonce, published with the output
    ciphertexts: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        """Borsh: key[32] ‖ u128 LE ‖ N × [u8;32] (fixed N, so no length prefix)."""
        return self.encryption_key + u128_to_nonce(self.nonce) + b"".join(self.ciphertexts)

    @classmethod
    def from_bytes(cls, data: bytes, n: int) -> "SharedEncrypted":
        if len(data) != 48 + ELEMENT_LEN * n:
            raise EncodingError(f"sealed output with {n} elements must be {48 + 32 * n} bytes")
        cts = tuple(data[48 + 32 * i:80 + 32 * i] for i in range(n))
        return cls(data[:32], int.from_bytes(data[32:48], "little"), cts)

    def open(self, recipient_secret: bytes, mxe_public_key: bytes, types: Sequence[str]) -> list[Any]:
        """Decrypt with X25519(recipient secret, MXE key) and the published nonce, then decode.

        Fails (EncodingError / RescueError) for anyone but the recipient with overwhelming
        probability, since a wrong key decrypts to uniformly random elements that do not fit
        the declared u64/u8/bool types.
        """
        cipher = RescueCipher(x25519_shared_secret(recipient_secret, mxe_public_key))
        return decode_values(types, cipher.decrypt(list(self.ciphertexts), u128_to_nonce(self.nonce)))


@dataclass(frozen=True)
class MxeEncrypted:
    """``MXEEncryptedStruct<N>``: state encrypted under the MXE's own key (nonce + ciphertexts)."""

    nonce: int
    ciphertexts: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        return u128_to_nonce(self.nonce) + b"".join(self.ciphertexts)

    @classmethod
    def from_bytes(cls, data: bytes, n: int) -> "MxeEncrypted":
        if len(data) != 16 + ELEMENT_LEN * n:
            raise EncodingError(f"MXE-encrypted state with {n} elements must be {16 + 32 * n} bytes")
        return cls(int.from_bytes(data[:16], "little"), tuple(data[16 + 32 * i:48 + 32 * i] for i in range(n)))


# --------------------------------------------------------------------------------------------
# §5 offsets and PDAs
# --------------------------------------------------------------------------------------------
def comp_def_offset(circuit_name: str) -> int:
    """sha256(name)[0..4] read as u32 little-endian."""
    return struct.unpack("<I", hashlib.sha256(circuit_name.encode()).digest()[:4])[0]


def _pda(seeds: Sequence[bytes], program: Pubkey = ARCIUM_PROGRAM_ID) -> Pubkey:
    return Pubkey.find_program_address(list(seeds), program)[0]


def mxe_account_pda(mxe_program_id: Pubkey) -> Pubkey:
    return _pda([b"MXEAccount", bytes(mxe_program_id)])


def comp_def_pda(mxe_program_id: Pubkey, offset: int) -> Pubkey:
    return _pda([b"ComputationDefinitionAccount", bytes(mxe_program_id), struct.pack("<I", offset)])


def computation_pda(cluster_offset: int, computation_offset: int) -> Pubkey:
    return _pda([b"ComputationAccount", struct.pack("<I", cluster_offset), struct.pack("<Q", computation_offset)])


def mempool_pda(cluster_offset: int) -> Pubkey:
    return _pda([b"Mempool", struct.pack("<I", cluster_offset)])


def execpool_pda(cluster_offset: int) -> Pubkey:
    return _pda([b"Execpool", struct.pack("<I", cluster_offset)])


def cluster_pda(cluster_offset: int) -> Pubkey:
    return _pda([b"Cluster", struct.pack("<I", cluster_offset)])


def fee_pool_pda() -> Pubkey:
    return _pda([b"FeePool"])


def clock_pda() -> Pubkey:
    return _pda([b"ClockAccount"])


def arx_node_pda(node_offset: int) -> Pubkey:
    return _pda([b"ArxNode", struct.pack("<I", node_offset)])


def signer_pda(mxe_program_id: Pubkey) -> tuple[Pubkey, int]:
    """``"ArciumSignerAccount"`` under the MXE (calling) program, with its bump."""
    return Pubkey.find_program_address([b"ArciumSignerAccount"], mxe_program_id)


# --------------------------------------------------------------------------------------------
# §1.1 reading the MXE x25519 key from raw MXEAccount data
# --------------------------------------------------------------------------------------------
MXE_ACCOUNT_DISCRIMINATOR = bytes([103, 26, 85, 250, 179, 159, 17, 117])
MXE_CLUSTER_OFFSET = 9
MXE_AUTHORITY_TAG_OFFSET = 61


def mxe_cluster_offset(data: bytes) -> int:
    if data[:8] != MXE_ACCOUNT_DISCRIMINATOR or len(data) < 13:
        raise EncodingError("not an MXEAccount")
    return struct.unpack_from("<I", data, MXE_CLUSTER_OFFSET)[0]


def mxe_x25519_public_key(data: bytes) -> bytes | None:
    """The SDK's ``getMXEPublicKey`` rule: the key if Set, or Unset with every bool true; else None."""
    if data[:8] != MXE_ACCOUNT_DISCRIMINATOR:
        raise EncodingError("not an MXEAccount")
    tag_at = 62 if data[MXE_AUTHORITY_TAG_OFFSET] == 0 else 94
    tag = data[tag_at]
    key = bytes(data[tag_at + 1:tag_at + 33])
    if tag == 0:
        return key
    if tag == 1:
        vec_at = tag_at + 1 + 160
        (n,) = struct.unpack_from("<I", data, vec_at)
        flags = data[vec_at + 4:vec_at + 4 + n]
        return key if all(b == 1 for b in flags) else None
    raise EncodingError(f"bad SetUnset tag {tag}")


# --------------------------------------------------------------------------------------------
# §3.2 Pack<T> (createPacker), kept for compatibility checks; the OTC program does not use it
# --------------------------------------------------------------------------------------------
PACK_SLOT_BITS = 214


def _field_width(ftype: Any) -> tuple[int, bool]:
    if ftype == "Bool":
        return 1, False
    if isinstance(ftype, dict) and "Integer" in ftype:
        return int(ftype["Integer"]["width"]), bool(ftype["Integer"]["signed"])
    raise EncodingError(f"Pack<T> field type {ftype!r} is not supported (only Integer and Bool)")


def pack_fields(fields: Sequence[dict], values: Sequence[Any]) -> list[int]:
    """Bit-pack sized fields into 214-bit slots the way ``createPacker`` places them.

    Placement (widest first, then by index): slot 0 if it fits, else slot ``lastInsert``, else
    ``lastInsert + 1``; like the package, ``lastInsert`` is not advanced by partial fields.
    Unlike the package, a slot that would exceed 214 bits is refused instead of overflowing.
    """
    meta = [(i, *_field_width(f["type"])) for i, f in enumerate(fields)]
    order = sorted(meta, key=lambda m: (-m[1], m[0]))
    loads: list[int] = []
    slots: list[int] = []
    last_insert = 0
    for idx, width, signed in order:
        v = values[idx]
        if fields[idx]["type"] == "Bool":
            enc = 1 if v else 0
        else:
            v = int(v)
            enc = v + 2 ** (width - 1) if signed else v
            if not 0 <= enc < 2**width:
                raise EncodingError(f"{fields[idx]['name']}={v} does not fit {width} bits")
        for slot in (0, last_insert, last_insert + 1):
            while len(loads) <= slot:
                loads.append(0)
                slots.append(0)
            if loads[slot] + width <= PACK_SLOT_BITS:
                slots[slot] += enc << loads[slot]
                loads[slot] += width
                break
        else:
            raise EncodingError("Pack<T> layout overflows a 214-bit slot")
    return slots

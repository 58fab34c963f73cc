"""A small Borsh codec driven by Anchor IDL types (new format, FACTS.md 8.4).

Why generic and IDL-driven: the programs and the wallet must agree byte for byte on every
instruction, account and event. Deriving both sides from the same IDL JSON removes the chance
of a hand-written encoder drifting from a hand-written decoder.

Value mapping (Python <-> IDL type):
  integers -> int; bool -> bool; "pubkey" -> solders ``Pubkey``; "string" -> str;
  "bytes" and arrays/vecs of u8 -> ``bytes``; other arrays/vecs -> list;
  {"option": T} -> None or value; struct -> dict; enum -> the variant name (str) when the variant
  has no fields, else ``{"Variant": fields}`` (a dict for named fields, a list for tuple fields).
"""
from __future__ import annotations

import struct
from typing import Any, Mapping

from solders.pubkey import Pubkey


class BorshError(ValueError):
    """Bytes that do not decode under the expected layout, or a value that cannot be encoded."""


_INTS: dict[str, tuple[int, bool]] = {
    "u8": (1, False), "i8": (1, True), "u16": (2, False), "i16": (2, True),
    "u32": (4, False), "i32": (4, True), "u64": (8, False), "i64": (8, True),
    "u128": (16, False), "i128": (16, True), "u256": (32, False), "i256": (32, True),
}
_FLOATS = {"f32": "<f", "f64": "<d"}


class BorshCodec:
    """Encodes/decodes values of IDL types, resolving ``defined`` names against ``types``."""

    def __init__(self, types: Mapping[str, dict]) -> None:
        self.types = dict(types)

    # ---------------------------------------------------------------- encode
    def encode(self, ty: Any, value: Any) -> bytes:
        out = bytearray()
        self._enc(ty, value, out)
        return bytes(out)

    def _enc(self, ty: Any, value: Any, out: bytearray) -> None:
        if isinstance(ty, str):
            if ty in _INTS:
                size, signed = _INTS[ty]
                try:
                    out += int(value).to_bytes(size, "little", signed=signed)
                except (OverflowError, TypeError, ValueError) as exc:
                    raise BorshError(f"{value!r} does not fit in {ty}") from exc
            elif ty == "bool":
                out.append(1 if value else 0)
            elif ty == "pubkey":
                out += bytes(value if isinstance(value, Pubkey) else Pubkey.from_string(str(value)))
            elif ty == "string":
                raw = str(value).encode("utf-8")
                out += struct.pack("<I", len(raw)) + raw
            elif ty == "bytes":
                raw = bytes(value)
                out += struct.pack("<I", len(raw)) + raw
            elif ty in _FLOATS:
                out += struct.pack(_FLOATS[ty], float(value))
            else:
                raise BorshError(f"unknown IDL type {ty!r}")
            return
        if "option" in ty:
            if value is None:
                out.append(0)
            else:
                out.append(1)
                self._enc(ty["option"], value, out)
        elif "vec" in ty:
            inner = ty["vec"]
            items = list(value) if not isinstance(value, (bytes, bytearray)) else value
            out += struct.pack("<I", len(items))
            if inner == "u8":
                out += bytes(items)
            else:
                for item in items:
                    self._enc(inner, item, out)
        elif "array" in ty:
            inner, length = ty["array"]
            if len(value) != length:
                raise BorshError(f"array needs {length} items, got {len(value)}")
            if inner == "u8":
                out += bytes(value)
            else:
                for item in value:
                    self._enc(inner, item, out)
        elif "defined" in ty:
            self._enc_defined(_defined_name(ty), value, out)
        else:
            raise BorshError(f"unsupported IDL type {ty!r}")

    def _enc_defined(self, name: str, value: Any, out: bytearray) -> None:
        body = self._type(name)
        if body["kind"] == "struct":
            self._enc_fields(body.get("fields", []), value, out, name)
        elif body["kind"] == "enum":
            variants = body["variants"]
            vname, payload = (value, None) if isinstance(value, str) else next(iter(value.items()))
            for index, variant in enumerate(variants):
                if variant["name"] == vname:
                    out.append(index)
                    if variant.get("fields"):
                        self._enc_fields(variant["fields"], payload, out, f"{name}::{vname}")
                    return
            raise BorshError(f"{vname!r} is not a variant of {name}")
        elif body["kind"] == "type":
            self._enc(body["alias"], value, out)
        else:
            raise BorshError(f"unsupported type kind {body['kind']!r}")

    def _enc_fields(self, fields: list, value: Any, out: bytearray, where: str) -> None:
        if fields and isinstance(fields[0], dict) and "name" in fields[0]:
            for field in fields:
                if field["name"] not in value:
                    raise BorshError(f"{where} is missing field {field['name']!r}")
                self._enc(field["type"], value[field["name"]], out)
        else:
            for fty, item in zip(fields, value, strict=True):
                self._enc(fty, item, out)

    # ---------------------------------------------------------------- decode
    def decode(self, ty: Any, data: bytes, offset: int = 0) -> tuple[Any, int]:
        """Decode one value at ``offset``; returns (value, next offset)."""
        try:
            return self._dec(ty, memoryview(data), offset)
        except (IndexError, struct.error, UnicodeDecodeError, ValueError) as exc:
            if isinstance(exc, BorshError):
                raise
            raise BorshError(f"cannot decode {ty!r}: {exc}") from exc

    def _take(self, data: memoryview, offset: int, size: int) -> bytes:
        end = offset + size
        if end > len(data):
            raise BorshError(f"unexpected end of data: need {size} bytes at offset {offset}")
        return bytes(data[offset:end])

    def _dec(self, ty: Any, data: memoryview, off: int) -> tuple[Any, int]:
        if isinstance(ty, str):
            if ty in _INTS:
                size, signed = _INTS[ty]
                return int.from_bytes(self._take(data, off, size), "little", signed=signed), off + size
            if ty == "bool":
                byte = self._take(data, off, 1)[0]
                if byte > 1:
                    raise BorshError(f"invalid bool byte {byte}")
                return byte == 1, off + 1
            if ty == "pubkey":
                return Pubkey.from_bytes(self._take(data, off, 32)), off + 32
            if ty in ("string", "bytes"):
                (length,) = struct.unpack("<I", self._take(data, off, 4))
                raw = self._take(data, off + 4, length)
                return (raw.decode("utf-8") if ty == "string" else raw), off + 4 + length
            if ty in _FLOATS:
                size = 4 if ty == "f32" else 8
                return struct.unpack(_FLOATS[ty], self._take(data, off, size))[0], off + size
            raise BorshError(f"unknown IDL type {ty!r}")
        if "option" in ty:
            tag = self._take(data, off, 1)[0]
            if tag == 0:
                return None, off + 1
            if tag != 1:
                raise BorshError(f"invalid option tag {tag}")
            return self._dec(ty["option"], data, off + 1)
        if "vec" in ty:
            (length,) = struct.unpack("<I", self._take(data, off, 4))
            return self._dec_seq(ty["vec"], length, data, off + 4)
        if "array" in ty:
            inner, length = ty["array"]
            return self._dec_seq(inner, int(length), data, off)
        if "defined" in ty:
            return self._dec_defined(_defined_name(ty), data, off)
        raise BorshError(f"unsupported IDL type {ty!r}")

    def _dec_seq(self, inner: Any, length: int, data: memoryview, off: int) -> tuple[Any, int]:
        if inner == "u8":
            return self._take(data, off, length), off + length
        if length > len(data):  # every element takes at least one byte
            raise BorshError(f"sequence length {length} exceeds the data")
        items = []
        for _ in range(length):
            item, off = self._dec(inner, data, off)
            items.append(item)
        return items, off

    def _dec_defined(self, name: str, data: memoryview, off: int) -> tuple[Any, int]:
        body = self._type(name)
        if body["kind"] == "struct":
            return self._dec_fields(body.get("fields", []), data, off)
        if body["kind"] == "enum":
            index = self._take(data, off, 1)[0]
            variants = body["variants"]
            if index >= len(variants):
                raise BorshError(f"invalid variant index {index} for {name}")
            variant = variants[index]
            if not variant.get("fields"):
                return variant["name"], off + 1
            payload, off = self._dec_fields(variant["fields"], data, off + 1)
            return {variant["name"]: payload}, off
        if body["kind"] == "type":
            return self._dec(body["alias"], data, off)
        raise BorshError(f"unsupported type kind {body['kind']!r}")

    def _dec_fields(self, fields: list, data: memoryview, off: int) -> tuple[Any, int]:
        if fields and isinstance(fields[0], dict) and "name" in fields[0]:
            result: dict[str, Any] = {}
            for field in fields:
                result[field["name"]], off = self._dec(field["type"], data, off)
            return result, off
        items = []
        for fty in fields:
            item, off = self._dec(fty, data, off)
            items.append(item)
        return items, off

    def _type(self, name: str) -> dict:
        try:
            return self.types[name]["type"]
        except KeyError as exc:
            raise BorshError(f"type {name!r} is not defined in the IDL") from exc

    def size_of(self, ty: Any) -> int | None:
        """Fixed encoded size of ``ty``, or None when it varies (vec, string, option, enum payloads)."""
        if isinstance(ty, str):
            if ty in _INTS:
                return _INTS[ty][0]
            return {"bool": 1, "pubkey": 32, "f32": 4, "f64": 8}.get(ty)
        if "array" in ty:
            inner = self.size_of(ty["array"][0])
            return None if inner is None else inner * int(ty["array"][1])
        if "defined" in ty:
            body = self._type(_defined_name(ty))
            if body["kind"] == "struct":
                total = 0
                for field in body.get("fields", []):
                    size = self.size_of(field["type"] if isinstance(field, dict) else field)
                    if size is None:
                        return None
                    total += size
                return total
            if body["kind"] == "enum" and not any(v.get("fields") for v in body["variants"]):
                return 1
            if body["kind"] == "type":
                return self.size_of(body["alias"])
        return None


def _defined_name(ty: dict) -> str:
    defined = ty["defined"]
    return defined if isinstance(defined, str) else defined["name"]

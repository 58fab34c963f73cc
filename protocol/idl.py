"""Anchor IDLs (new format, spec 0.1.0) loaded from resources/idl and turned into codecs.

Why one loader for programs and wallet: the instruction data a wallet builds, the account bytes
a program writes and the event lines in the logs are all "8-byte Anchor discriminator ‖ Borsh",
and the IDL JSON is the single source of truth for both the discriminators and the layouts.
"""
from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from .borsh import BorshCodec, BorshError

IDL_DIR = Path(__file__).resolve().parent.parent / "resources" / "idl"


def discriminator(namespace: str, name: str) -> bytes:
    """Anchor's sighash: sha256("<namespace>:<name>")[:8] (namespace global/account/event)."""
    return hashlib.sha256(f"{namespace}:{name}".encode()).digest()[:8]


class IdlError(ValueError):
    """Data that does not match any entry of the IDL."""


class Idl:
    """One program's IDL with Borsh codecs for its instructions, accounts and events."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)
        self.address = Pubkey.from_string(raw["address"])
        self.name: str = raw["metadata"]["name"]
        self.codec = BorshCodec({t["name"]: t for t in raw.get("types", [])})
        self.instructions = {ix["name"]: ix for ix in raw["instructions"]}
        self._ix_by_disc = {bytes(ix["discriminator"]): ix for ix in raw["instructions"]}
        self.accounts = {a["name"]: a for a in raw.get("accounts", [])}
        self._acct_by_disc = {bytes(a["discriminator"]): a["name"] for a in raw.get("accounts", [])}
        self.events = {e["name"]: e for e in raw.get("events", [])}
        self._event_by_disc = {bytes(e["discriminator"]): e["name"] for e in raw.get("events", [])}
        self.errors = {e["name"]: e for e in raw.get("errors", [])}
        self._error_by_code = {e["code"]: e for e in raw.get("errors", [])}
        self.constants = {c["name"]: c for c in raw.get("constants", [])}

    # ------------------------------------------------------------ instructions
    def encode_instruction(self, name: str, args: Mapping[str, Any] | None = None) -> bytes:
        ix = self.instructions[name]
        args = dict(args or {})
        out = bytearray(bytes(ix["discriminator"]))
        for arg in ix["args"]:
            if arg["name"] not in args:
                raise IdlError(f"{self.name}.{name} needs argument {arg['name']!r}")
            out += self.codec.encode(arg["type"], args[arg["name"]])
        return bytes(out)

    def decode_instruction(self, data: bytes) -> tuple[str, dict[str, Any]]:
        """(instruction name, args). Raises IdlError for an unknown discriminator or bad bytes."""
        ix = self._ix_by_disc.get(bytes(data[:8]))
        if ix is None:
            raise IdlError(f"unknown {self.name} instruction discriminator {bytes(data[:8]).hex()}")
        args: dict[str, Any] = {}
        off = 8
        try:
            for arg in ix["args"]:
                args[arg["name"]], off = self.codec.decode(arg["type"], data, off)
        except BorshError as exc:
            raise IdlError(f"{self.name}.{ix['name']}: {exc}") from exc
        if off != len(data):
            raise IdlError(f"{self.name}.{ix['name']}: {len(data) - off} trailing bytes")
        return ix["name"], args

    def account_metas(self, name: str, accounts: Mapping[str, Pubkey]) -> list[AccountMeta]:
        """Metas in IDL order with the IDL's writable/signer flags; fixed addresses fill themselves."""
        metas = []
        for acc in self.instructions[name]["accounts"]:
            key = accounts.get(acc["name"])
            if key is None and "address" in acc:
                key = Pubkey.from_string(acc["address"])
            if key is None:
                raise IdlError(f"{self.name}.{name} needs account {acc['name']!r}")
            metas.append(AccountMeta(key, bool(acc.get("signer")), bool(acc.get("writable"))))
        return metas

    def instruction(self, name: str, args: Mapping[str, Any] | None, accounts: Mapping[str, Pubkey]) -> Instruction:
        return Instruction(self.address, self.encode_instruction(name, args), self.account_metas(name, accounts))

    def account_names(self, instruction: str) -> list[str]:
        return [acc["name"] for acc in self.instructions[instruction]["accounts"]]

    # ---------------------------------------------------------------- accounts
    def encode_account(self, name: str, value: Mapping[str, Any]) -> bytes:
        return bytes(self.accounts[name]["discriminator"]) + self.codec.encode({"defined": {"name": name}}, value)

    def decode_account(self, name: str, data: bytes) -> dict[str, Any]:
        """Decode an account of type ``name``; trailing bytes (spare capacity) are allowed."""
        if bytes(data[:8]) != bytes(self.accounts[name]["discriminator"]):
            raise IdlError(f"account is not a {self.name}.{name} (discriminator mismatch)")
        try:
            value, _ = self.codec.decode({"defined": {"name": name}}, data, 8)
        except BorshError as exc:
            raise IdlError(f"{self.name}.{name}: {exc}") from exc
        return value

    def account_type_of(self, data: bytes) -> str | None:
        return self._acct_by_disc.get(bytes(data[:8]))

    # ------------------------------------------------------------------ events
    def encode_event(self, name: str, value: Mapping[str, Any]) -> bytes:
        return bytes(self.events[name]["discriminator"]) + self.codec.encode({"defined": {"name": name}}, value)

    def decode_event(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        """(event name, fields) or None if ``data`` is not one of this program's events."""
        name = self._event_by_disc.get(bytes(data[:8]))
        if name is None:
            return None
        try:
            value, _ = self.codec.decode({"defined": {"name": name}}, data, 8)
        except BorshError:
            return None
        return name, value

    def parse_events(self, logs: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """Events this program emitted, walking the invoke stack like anchorpy's EventParser."""
        me = str(self.address)
        stack: list[str] = []
        found = []
        for line in logs:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "Program" and parts[2] == "invoke":
                stack.append(parts[1])
            elif len(parts) >= 3 and parts[0] == "Program" and parts[2] in ("success", "failed:"):
                if stack:
                    stack.pop()
            elif line.startswith("Program data: ") and stack and stack[-1] == me:
                for chunk in line[len("Program data: "):].split():
                    try:
                        event = self.decode_event(base64.b64decode(chunk))
                    except ValueError:
                        event = None
                    if event is not None:
                        found.append(event)
        return found

    # ------------------------------------------------------------------ errors
    def error_code(self, name: str) -> int:
        return int(self.errors[name]["code"])

    def error_message(self, code: int) -> str | None:
        err = self._error_by_code.get(code)
        return None if err is None else f"{err['name']}: {err.get('msg', '')}"

    def constant(self, name: str) -> Any:
        const = self.constants[name]
        return int(const["value"]) if const["type"] in ("u8", "u16", "u32", "u64", "i64", "u128") else const["value"]


@lru_cache(maxsize=None)
def load_idl(name: str) -> Idl:
    """The IDL of ``name`` (market, order_store, order_processor) from resources/idl."""
    with open(IDL_DIR / f"{name}.json", encoding="utf-8") as fh:
        return Idl(json.load(fh))

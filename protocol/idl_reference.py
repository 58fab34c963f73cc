"""Render the programs' IDLs as the Markdown protocol reference in docs/reference/.

Why generated: the IDLs in resources/idl/ are what the programs and the wallet actually encode
and decode, so a hand-written reference would drift from them. `python -m protocol.idl_reference`
rewrites docs/reference/<program>.md; a unit test fails when the committed files differ from what
the IDLs produce. Hand-written explanation (matching rules, trust, privacy) stays in docs/*.md.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IDL_DIR = ROOT / "resources" / "idl"
OUT_DIR = ROOT / "docs" / "reference"


def type_name(t: Any) -> str:
    """An IDL type in Rust-like notation (`Vec<u8>`, `[u8; 32]`, `Option<Pubkey>`)."""
    if isinstance(t, str):
        return {"pubkey": "Pubkey", "string": "String", "bytes": "Vec<u8>"}.get(t, t)
    if "vec" in t:
        return f"Vec<{type_name(t['vec'])}>"
    if "option" in t:
        return f"Option<{type_name(t['option'])}>"
    if "array" in t:
        inner, n = t["array"]
        return f"[{type_name(inner)}; {n}]"
    if "defined" in t:
        d = t["defined"]
        return d["name"] if isinstance(d, dict) else str(d)
    return json.dumps(t)


def seed_text(seed: dict[str, Any]) -> str:
    if seed["kind"] == "const":
        raw = bytes(seed["value"])
        return f'"{raw.decode()}"' if raw.isascii() and raw.decode().isprintable() else f"0x{raw.hex()}"
    return f"{seed['kind']}:{seed['path']}"


def account_flags(acc: dict[str, Any]) -> str:
    flags = [f for f in ("writable", "signer", "optional") if acc.get(f)]
    return ", ".join(flags) if flags else "read-only"


def account_note(acc: dict[str, Any]) -> str:
    if "address" in acc:
        return f"`{acc['address']}`"
    if "pda" in acc:
        return "PDA [" + ", ".join(seed_text(s) for s in acc["pda"]["seeds"]) + "]"
    return " ".join(acc.get("docs", []))


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fields_table(fields: list[dict[str, Any]]) -> list[str]:
    if not fields:
        return ["(no fields)", ""]
    lines = ["| field | type |", "|---|---|"]
    lines += [f"| `{f['name']}` | `{cell(type_name(f['type']))}` |" for f in fields]
    return lines + [""]


def render(idl: dict[str, Any]) -> str:
    meta = idl["metadata"]
    types = {t["name"]: t for t in idl.get("types", [])}
    out = [
        f"# `{meta['name']}` program reference",
        "",
        "Generated from `resources/idl/" + f"{meta['name']}.json` by `python -m protocol.idl_reference`;"
        " do not edit by hand.",
        "",
        f"Program id: `{idl['address']}`. {meta.get('description', '')}".rstrip(),
        "",
        "Encoding (Anchor): instruction data = `sha256(\"global:<name>\")[..8] ‖ Borsh(args)`; account data ="
        " `sha256(\"account:<Name>\")[..8] ‖ Borsh`; events are `Program data: base64(sha256(\"event:<Name>\")[..8] ‖ Borsh)`.",
        "",
        "## Instructions",
        "",
    ]
    for ix in idl["instructions"]:
        out += [f"### `{ix['name']}`", ""]
        out += [" ".join(ix.get("docs", [])) or "(undocumented)", ""]
        out += [f"Discriminator: `{bytes(ix['discriminator']).hex()}`", ""]
        out += ["| # | account | flags | address / seeds / note |", "|---|---|---|---|"]
        for i, acc in enumerate(ix["accounts"]):
            out.append(f"| {i} | `{acc['name']}` | {account_flags(acc)} | {cell(account_note(acc))} |")
        out += ["", "Arguments:", ""]
        out += fields_table(ix.get("args", []))
    out += ["## Accounts", ""]
    for acc in idl.get("accounts", []):
        out += [f"### `{acc['name']}`", "", f"Discriminator: `{bytes(acc['discriminator']).hex()}`", ""]
        layout = types.get(acc["name"], {}).get("type", {})
        out += fields_table(layout.get("fields", []))
    out += ["## Events", ""]
    for ev in idl.get("events", []):
        out += [f"### `{ev['name']}`", "", f"Discriminator: `{bytes(ev['discriminator']).hex()}`", ""]
        layout = types.get(ev["name"], {}).get("type", {})
        out += fields_table(layout.get("fields", []))
    out += ["## Errors", "", "| code | hex | name | message |", "|---|---|---|---|"]
    for err in idl.get("errors", []):
        out.append(f"| {err['code']} | `{err['code']:#x}` | `{err['name']}` | {cell(err.get('msg', ''))} |")
    other = [t for name, t in types.items()
             if name not in {a["name"] for a in idl.get("accounts", [])} | {e["name"] for e in idl.get("events", [])}]
    if other:
        out += ["", "## Types", ""]
        for t in other:
            body = t["type"]
            out += [f"### `{t['name']}`", ""]
            if body["kind"] == "struct":
                out += fields_table(body.get("fields", []))
            elif body["kind"] == "enum":
                out += ["Variants (Borsh tag = index): " + ", ".join(
                    f"{i} `{v['name']}`" for i, v in enumerate(body["variants"])), ""]
            else:
                out += [f"Alias of `{type_name(body.get('alias'))}`", ""]
    return "\n".join(out).rstrip() + "\n"


def expected_files() -> dict[Path, str]:
    return {OUT_DIR / f"{p.stem}.md": render(json.loads(p.read_text())) for p in sorted(IDL_DIR.glob("*.json"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="regenerate docs/reference/ from resources/idl/")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files are stale")
    args = parser.parse_args(argv)
    stale = [p for p, text in expected_files().items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"stale: {p}", file=sys.stderr)
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for p, text in expected_files().items():
        p.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

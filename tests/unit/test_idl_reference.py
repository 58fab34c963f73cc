"""docs/reference/ is generated from the IDLs; it must never drift from what the programs encode."""
from __future__ import annotations

import json

from protocol import idl_reference


def test_reference_docs_match_the_idls() -> None:
    stale = [p.name for p, text in idl_reference.expected_files().items()
             if not p.exists() or p.read_text() != text]
    assert stale == [], f"run `python -m protocol.idl_reference` to regenerate: {stale}"


def test_every_program_has_named_errors_events_and_documented_instructions() -> None:
    for path in sorted(idl_reference.IDL_DIR.glob("*.json")):
        idl = json.loads(path.read_text())
        codes = [e["code"] for e in idl["errors"]]
        assert codes and len(set(codes)) == len(codes) and min(codes) >= 6000, path.name
        assert idl["events"], f"{path.name} emits no events"
        undocumented = [ix["name"] for ix in idl["instructions"] if not ix.get("docs")]
        assert undocumented == [], f"{path.name}: undocumented instructions {undocumented}"


def test_check_mode_detects_a_stale_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(idl_reference, "OUT_DIR", tmp_path)
    assert idl_reference.main(["--check"]) == 1
    assert idl_reference.main([]) == 0
    assert idl_reference.main(["--check"]) == 0

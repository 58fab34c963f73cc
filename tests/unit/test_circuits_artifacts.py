"""The committed circuit artifacts match their manifest, their sources and each other; a zkey
for the wrong circuit is refused by import-zkey and a right one is installed."""
from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import groth16py
import pytest

from prover.artifacts import (
    ArtifactError, check_circuit_files, load_keys, load_manifest, sha256_file, vk_fingerprint)
from prover.circuits_registry import CIRCUITS, artifacts_dir, spec
from prover.setup import import_zkey


def _r1cs_header(path: Path) -> dict:
    """Parse the iden3 r1cs header section: constraint and public-input counts."""
    data = path.read_bytes()
    assert data[:4] == b"r1cs"
    (n_sections,) = struct.unpack_from("<I", data, 8)
    off = 12
    for _ in range(n_sections):
        stype, size = struct.unpack_from("<IQ", data, off)
        off += 12
        if stype == 1:
            (n8,) = struct.unpack_from("<I", data, off)
            h = off + 4 + n8
            n_wires, n_pub_out, n_pub_in, n_prv_in = struct.unpack_from("<IIII", data, h)
            _n_labels, n_constraints = struct.unpack_from("<QI", data, h + 16)
            return {"constraints": n_constraints, "public": n_pub_out + n_pub_in,
                    "wires": n_wires}
        off += size
    raise AssertionError("no header section")


@pytest.mark.parametrize("circuit", sorted(CIRCUITS))
def test_manifest_matches_files_and_sources(circuit: str) -> None:
    entry = check_circuit_files(circuit)  # every sha256 checked
    directory = artifacts_dir()
    for kind, meta in entry["files"].items():
        assert (directory / meta["path"]).stat().st_size == meta["size"], kind
    # artifacts were generated from the circuit source as committed
    assert entry["source_sha256"] == sha256_file(spec(circuit).source)
    header = _r1cs_header(directory / entry["files"]["r1cs"]["path"])
    assert header["constraints"] == entry["constraints"]
    assert header["public"] == len(spec(circuit).public_inputs)
    assert entry["public_inputs"] == list(spec(circuit).public_inputs)
    vk_json = json.loads((directory / entry["files"]["verification_key"]["path"]).read_text())
    assert vk_json["nPublic"] == len(spec(circuit).public_inputs)
    assert vk_fingerprint(vk_json) == entry["verifying_key_sha256"]
    _, vk = groth16py.import_zkey(str(directory / entry["files"]["zkey"]["path"]))
    assert vk_fingerprint(vk.to_json()) == vk_fingerprint(vk_json)
    assert "UNSAFE" in entry["setup"] or entry["setup"].startswith("imported ceremony")


def test_total_artifact_size_is_modest() -> None:
    total = sum(p.stat().st_size for p in artifacts_dir().rglob("*") if p.is_file())
    assert total < 30 * 1024 * 1024


def test_corrupted_artifact_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "circuits"
    shutil.copytree(artifacts_dir(), copy)
    wasm = copy / "solvency" / "solvency.wasm"
    data = bytearray(wasm.read_bytes())
    data[1000] ^= 0xFF
    wasm.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match the manifest"):
        load_keys("solvency", copy)
    with pytest.raises(ArtifactError, match="no circuit artifacts"):
        load_manifest(tmp_path / "nowhere")


def test_import_zkey_refuses_a_key_for_another_circuit_and_installs_a_right_one(
        tmp_path: Path) -> None:
    copy = tmp_path / "circuits"
    shutil.copytree(artifacts_dir(), copy)
    before = (copy / "manifest.json").read_text()
    with pytest.raises(ArtifactError, match="does not fit circuit solvency"):
        import_zkey("solvency", copy / "payment" / "payment.zkey", copy, log=lambda m: None)
    assert (copy / "manifest.json").read_text() == before
    junk = tmp_path / "junk.zkey"
    junk.write_bytes(b"zkey" + bytes(100))
    with pytest.raises(ArtifactError):
        import_zkey("payment", junk, copy, log=lambda m: None)
    assert (copy / "manifest.json").read_text() == before
    # re-installing the payment zkey as a "ceremony" key works and is labelled so
    ceremony = tmp_path / "ceremony.zkey"
    shutil.copyfile(copy / "payment" / "payment.zkey", ceremony)
    import_zkey("payment", ceremony, copy, log=lambda m: None)
    entry = check_circuit_files("payment", copy)
    assert entry["setup"] == "imported ceremony zkey (ceremony.zkey)"
    assert load_keys("payment", copy).vk_sha256 == entry["verifying_key_sha256"]

"""Circuit artifacts on disk (r1cs, wasm, zkey, verification_key.json) and their manifest.

Why a manifest with sha256s: the proving key, the witness generator and the verifying key the
chain holds must belong together; a mismatched or corrupted file would otherwise only show up as
proofs the chain rejects. Loading checks every hash first, and the loaded keys are cached per
process (the first load of a circuit costs tens of milliseconds, later ones nothing).
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import groth16py

from .circuits_registry import artifacts_dir, spec

MANIFEST_NAME = "manifest.json"
MANIFEST_TYPE = "anomi.circuit-artifacts"
MANIFEST_VERSION = 1
FILE_KINDS = ("r1cs", "wasm", "zkey", "verification_key")


class ArtifactError(Exception):
    """Missing, unreadable or mismatched circuit artifacts (message says which file)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_names(circuit: str) -> dict[str, str]:
    """Paths of a circuit's artifacts relative to the artifacts directory."""
    return {"r1cs": f"{circuit}/{circuit}.r1cs", "wasm": f"{circuit}/{circuit}.wasm",
            "zkey": f"{circuit}/{circuit}.zkey",
            "verification_key": f"{circuit}/verification_key.json"}


def load_manifest(directory: Path | None = None) -> dict:
    directory = directory or artifacts_dir()
    path = directory / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(
            f"no circuit artifacts at {directory} (run `anomi prover setup`)") from None
    except ValueError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from None
    if manifest.get("type") != MANIFEST_TYPE or manifest.get("version") != MANIFEST_VERSION:
        raise ArtifactError(f"{path} is not a version-{MANIFEST_VERSION} artifact manifest")
    return manifest


def write_manifest(directory: Path, manifest: dict) -> None:
    tmp = directory / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    tmp.replace(directory / MANIFEST_NAME)


def check_circuit_files(circuit: str, directory: Path | None = None) -> dict:
    """Verify a circuit's files against the manifest; returns its manifest entry."""
    directory = directory or artifacts_dir()
    entry = load_manifest(directory).get("circuits", {}).get(circuit)
    if entry is None:
        raise ArtifactError(f"the manifest has no circuit {circuit!r}")
    for kind in FILE_KINDS:
        meta = entry["files"].get(kind)
        if meta is None:
            raise ArtifactError(f"{circuit}: manifest lists no {kind} file")
        path = directory / meta["path"]
        if not path.exists():
            raise ArtifactError(f"{circuit}: {path} is missing")
        if sha256_file(path) != meta["sha256"]:
            raise ArtifactError(f"{circuit}: {path} does not match the manifest's sha256")
    return entry


def vk_fingerprint(vk_json: str | dict) -> str:
    """sha256 of a verifying key's canonical JSON (sorted keys): names the key in proof files."""
    obj = json.loads(vk_json) if isinstance(vk_json, str) else vk_json
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


@dataclass
class CircuitKeys:
    circuit: str
    proving_key: groth16py.ProvingKey
    verifying_key: groth16py.VerifyingKey
    verifier: groth16py.Verifier
    verifying_key_json: dict
    vk_sha256: str
    wasm_path: Path
    constraints: int


_CACHE: dict[tuple[str, str], CircuitKeys] = {}
_CACHE_LOCK = threading.Lock()


def load_keys(circuit: str, directory: Path | None = None) -> CircuitKeys:
    """The circuit's proving/verifying keys, cached per (directory, zkey hash)."""
    spec(circuit)
    directory = (directory or artifacts_dir()).resolve()
    entry = check_circuit_files(circuit, directory)
    key = (str(directory), entry["files"]["zkey"]["sha256"])
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.circuit == circuit:
            return cached
        zkey = directory / entry["files"]["zkey"]["path"]
        vk_path = directory / entry["files"]["verification_key"]["path"]
        try:
            pk, vk_from_zkey = groth16py.import_zkey(str(zkey))
            vk_text = vk_path.read_text()
            vk = groth16py.VerifyingKey.from_snarkjs(vk_text)
        except BaseException as exc:  # a Rust panic is a BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise ArtifactError(f"{circuit}: cannot load keys: {exc}") from None
        vk_json = json.loads(vk_text)
        if vk_fingerprint(vk_from_zkey.to_json()) != vk_fingerprint(vk_json):
            raise ArtifactError(f"{circuit}: verification_key.json does not belong to the zkey")
        if vk.n_public != len(spec(circuit).public_inputs):
            raise ArtifactError(f"{circuit}: the key has {vk.n_public} public inputs, the circuit "
                                f"{len(spec(circuit).public_inputs)}")
        keys = CircuitKeys(circuit, pk, vk, groth16py.Verifier(vk), vk_json,
                           vk_fingerprint(vk_json), directory / entry["files"]["wasm"]["path"],
                           int(entry["constraints"]))
        _CACHE[key] = keys
        return keys


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()

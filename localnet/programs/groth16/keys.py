"""Verifying keys: snarkjs ``verification_key.json`` -> the on-chain VerifyingKey account fields.

Why at genesis: the cluster's programs read their keys from config accounts (as a deployed
Solana verifier would), and genesis fills those accounts from the artifacts in
resources/circuits/<circuit>/verification_key.json.
"""
from __future__ import annotations

import json
from pathlib import Path

CIRCUITS_DIR = Path(__file__).resolve().parents[3] / "resources" / "circuits"


def _fe(x: str | int) -> bytes:
    return int(x).to_bytes(32, "big")


def g1(point: list) -> bytes:
    """snarkjs [x, y, z] (z = 1 or 0 for infinity) -> 64 bytes big-endian."""
    if int(point[2]) == 0:
        return bytes(64)
    return _fe(point[0]) + _fe(point[1])


def g2(point: list) -> bytes:
    """snarkjs [[x_re, x_im], [y_re, y_im], [1, 0]] -> x_im ‖ x_re ‖ y_im ‖ y_re."""
    (x_re, x_im), (y_re, y_im) = point[0], point[1]
    return _fe(x_im) + _fe(x_re) + _fe(y_im) + _fe(y_re)


def verifying_key_fields(vk_json: dict, circuit: str) -> dict:
    if vk_json.get("protocol") != "groth16" or vk_json.get("curve") not in ("bn128", "bn254"):
        raise ValueError(f"{circuit}: not a BN254 Groth16 snarkjs verifying key")
    ic = [g1(p) for p in vk_json["IC"]]
    if len(ic) != int(vk_json["nPublic"]) + 1:
        raise ValueError(f"{circuit}: IC has {len(ic)} points for {vk_json['nPublic']} public inputs")
    return {"circuit": circuit, "alpha_g1": g1(vk_json["vk_alpha_1"]), "beta_g2": g2(vk_json["vk_beta_2"]),
            "gamma_g2": g2(vk_json["vk_gamma_2"]), "delta_g2": g2(vk_json["vk_delta_2"]), "ic": ic}


def load_verifying_key(circuit: str, circuits_dir: Path = CIRCUITS_DIR) -> dict:
    path = circuits_dir / circuit / "verification_key.json"
    with open(path, encoding="utf-8") as fh:
        return verifying_key_fields(json.load(fh), circuit)

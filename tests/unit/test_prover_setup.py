"""`anomi prover setup`'s code path end to end, in seconds: compile (circom2 --O2), a fresh
powers of tau, snarkjs Groth16 setup, a random contribution, the key self-test, install into an
artifacts directory with its manifest -- on a tiny circuit with a 2^4 ptau instead of the real
circuits' 2^13 (minutes). The installed artifacts then prove and verify through the wallet's
Prover, and snarkjs accepts the proof under the exported verification_key.json.

Node and the npm test peers are build-time tools of the dev setup: missing ones skip here and
fail under CI=true (the rule of test_prover_peers.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from prover.artifacts import ArtifactError, check_circuit_files, load_manifest, sha256_file
from prover.circuits_registry import CIRCUITS, CircuitSpec
from prover.engine import Prover, ProverError, verify_proof
from prover.proof import Proof
from prover.setup import UNSAFE_LABEL, SetupTarget, run_dev_setup
from prover.statements import CircuitInputs

PEERS = Path(__file__).resolve().parents[1] / "peers"
NODE = shutil.which("node")
IN_CI = os.environ.get("CI", "").lower() == "true"

if NODE is None or not all((PEERS / "node_modules" / p).is_dir() for p in ("snarkjs", "circom2")):
    reason = "Node and the npm test peers snarkjs + circom2 are needed (run `bash tests/peers/install.sh`)"
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the test set-up must install them)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

TINY = """pragma circom 2.0.0;

// z = x * y^2 with x public and y private: two constraints, public signals [z, x].
template Tiny() {
    signal input x;
    signal input y;
    signal output z;
    signal t;
    t <== y * y;
    z <== x * t;
}

component main {public [x]} = Tiny();
"""
PUBLIC = ("z", "x")


def _inputs(x: int, y: int) -> CircuitInputs:
    return CircuitInputs("tiny", {"x": x, "y": y}, (x * y * y, x))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SetupTarget, list[str]]:
    work = tmp_path_factory.mktemp("tiny-setup")
    source = work / "tiny.circom"
    source.write_text(TINY)
    target = SetupTarget("tiny", source, PUBLIC, lambda: _inputs(3, 5))
    logs: list[str] = []
    run_dev_setup([target], work / "artifacts", ptau_power=4, log=logs.append)
    return work / "artifacts", target, logs


def test_setup_runs_every_stage_and_writes_a_manifest(installed) -> None:
    directory, target, logs = installed
    text = "\n".join(logs)
    assert f"WARNING: {UNSAFE_LABEL}" in text
    for stage in ("tiny: compiled, 2 constraints", "powers of tau 2^4: new", "tiny: groth16 setup",
                  "tiny: installed (UNSAFE single-party development setup)"):
        assert stage in text, text
    entry = check_circuit_files("tiny", directory)  # every file's sha256 against the manifest
    assert load_manifest(directory)["circuits"]["tiny"] is not None
    assert entry["constraints"] == 2 and entry["public_inputs"] == list(PUBLIC)
    assert entry["setup"] == UNSAFE_LABEL and entry["source_sha256"] == sha256_file(target.source)
    vk = json.loads((directory / "tiny" / "verification_key.json").read_text())
    assert vk["protocol"] == "groth16" and vk["nPublic"] == 2
    for kind in ("r1cs", "wasm", "zkey"):
        assert (directory / entry["files"][kind]["path"]).stat().st_size == entry["files"][kind]["size"] > 0


def test_installed_artifacts_prove_and_verify(installed, monkeypatch: pytest.MonkeyPatch) -> None:
    directory, _target, _logs = installed
    # the wallet's prover proves registered circuits: register the tiny one for this test
    monkeypatch.setitem(CIRCUITS, "tiny", CircuitSpec("tiny", PUBLIC, ("y",)))
    proof = Prover(directory).prove_now(_inputs(7, 6))
    assert proof.public_inputs == (252, 7) and verify_proof(proof, directory)
    assert not verify_proof(Proof("tiny", proof.proof, (253, 7), proof.vk_sha256), directory)
    with pytest.raises(ProverError, match="did not verify"):  # a public input the witness does not have
        Prover(directory).prove_now(CircuitInputs("tiny", {"x": 7, "y": 6}, (251, 7)))

    vk = json.loads((directory / "tiny" / "verification_key.json").read_text())
    script = """
const snarkjs = require("snarkjs");
let s = ""; process.stdin.on("data", d => s += d).on("end", async () => {
  const {vk, cases} = JSON.parse(s); const out = [];
  for (const c of cases) out.push(await snarkjs.groth16.verify(vk, c.public, c.proof, {info(){}, debug(){}, warn(){}, error(){}}));
  console.log(JSON.stringify(out)); process.exit(0);
});
"""
    payload = {"vk": vk, "cases": [{"public": proof.snarkjs_public(), "proof": proof.snarkjs_proof()},
                                   {"public": ["253", "7"], "proof": proof.snarkjs_proof()}]}
    run = subprocess.run([NODE, "-e", script], input=json.dumps(payload), cwd=PEERS, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [True, False]


def test_a_too_small_ptau_is_refused_before_it_is_made(tmp_path: Path) -> None:
    source = tmp_path / "tiny.circom"
    source.write_text(TINY)
    target = SetupTarget("tiny", source, PUBLIC, lambda: _inputs(3, 5))
    logs: list[str] = []
    with pytest.raises(ArtifactError, match=r"2\^2 is too small .*need 5 points: 2\^3 or more"):
        run_dev_setup([target], tmp_path / "artifacts", ptau_power=2, log=logs.append)
    assert not any("powers of tau" in m for m in logs) and not (tmp_path / "artifacts" / "manifest.json").exists()
    with pytest.raises(ArtifactError, match="must be 2\\^1..2\\^28"):
        run_dev_setup([target], tmp_path / "artifacts", ptau_power=29, log=logs.append)

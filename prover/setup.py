"""Regenerating circuit artifacts (development only) and installing a ceremony zkey.

Why two paths: `run_dev_setup` makes everything from the circuit sources with a single-party
trusted setup -- whoever runs it knows the toxic waste and could forge proofs, so it is labelled
UNSAFE for real funds. `import_zkey` installs a `.zkey` from a real multi-party ceremony
(snarkjs) after proving a sample statement with it, so a key for another circuit is refused.

The dev setup uses the npm `circom2` (circom 2 compiled to WASM, --O2) and `snarkjs` from the
test peers (tests/peers/install.sh): build-time tools only, the wallet never runs Node.

Why `SetupTarget` and `ptau_power`: the real circuits need a 2^13 powers of tau, which alone
takes minutes to make. A test runs the very same path (compile, ptau, Groth16 setup,
contribution, self-test, install, manifest) on a tiny circuit with a 2^4 ptau in seconds.
"""
from __future__ import annotations

import datetime as _dt
import json
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import groth16py

from .artifacts import (
    MANIFEST_TYPE, MANIFEST_VERSION, ArtifactError, clear_cache, file_names, load_manifest,
    sha256_file, vk_fingerprint, write_manifest)
from .circuits_registry import CIRCUITS, artifacts_dir, circomlib_dir, spec
from .statements import CircuitInputs

_REPO = Path(__file__).resolve().parents[1]
PEERS = _REPO / "tests" / "peers" / "node_modules"
PTAU_POWER = 13  # 2^13 = 8192 >= constraints + public inputs of both circuits
MAX_PTAU_POWER = 28  # the largest ceremony snarkjs supports
UNSAFE_LABEL = "UNSAFE single-party development setup: the setup's randomness was known to one party; never use for real funds"

Log = Callable[[str], None]


@dataclass(frozen=True)
class SetupTarget:
    """A circuit the dev setup builds: the name its artifacts are filed under, its circom
    source, its public inputs in order, and a true sample statement for the key self-test."""
    name: str
    source: Path
    public_inputs: tuple[str, ...]
    sample: Callable[[], CircuitInputs]


def registered_target(name: str) -> SetupTarget:
    """One of the wallet's circuits (prover/circuits_registry.py)."""
    from .statements import sample_inputs
    s = spec(name)
    return SetupTarget(name, s.source, s.public_inputs, lambda: sample_inputs(name))


def _source_label(source: Path) -> str:
    try:
        return str(Path(source).resolve().relative_to(_REPO))
    except ValueError:
        return str(Path(source).resolve())


def _tool(name: str) -> list[str]:
    node = shutil.which("node")
    script = PEERS / ".bin" / name
    if node is None or not script.exists():
        raise ArtifactError(
            f"the dev setup needs Node.js and the npm test peers ({name}); run "
            "`bash tests/peers/install.sh` (or import a ceremony key with "
            "`anomi prover import-zkey`)")
    return [node, str(script)]


def _run(cmd: list[str], log: Log, cwd: str | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ArtifactError(f"{Path(cmd[1]).name} failed: {(proc.stderr or proc.stdout)[-2000:]}")


def _rel_to_root(p: Path) -> str:
    # circom2 runs under WASI with "/" as its working directory; give it root-relative paths.
    return str(p.resolve()).lstrip("/")


def compile_circuit(circuit: str, out_dir: Path, log: Log,
                    source: Path | None = None) -> tuple[Path, Path, int]:
    """circom --O2 → (r1cs, wasm, non-linear constraint count); ``source`` defaults to the
    registered circuit's. Its main component must be named after ``circuit`` (file name)."""
    src = Path(source) if source is not None else spec(circuit).source
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = _tool("circom2") + [_rel_to_root(src), "--r1cs", "--wasm", "--O2",
                              "-l", _rel_to_root(Path(circomlib_dir())),
                              "-o", _rel_to_root(out_dir)]
    proc = subprocess.run(cmd, cwd="/", capture_output=True, text=True)
    if proc.returncode != 0 or "Everything went okay" not in proc.stdout:
        raise ArtifactError(f"circom failed for {circuit}: {(proc.stderr + proc.stdout)[-2000:]}")
    constraints = None
    for line in proc.stdout.splitlines():
        if "non-linear constraints:" in line:
            constraints = int(line.rsplit(":", 1)[1])
    if constraints is None:
        raise ArtifactError(f"circom printed no constraint count for {circuit}")
    log(f"{circuit}: compiled, {constraints} constraints")
    return out_dir / f"{circuit}.r1cs", out_dir / f"{circuit}_js" / f"{circuit}.wasm", constraints


def make_ptau(work: Path, log: Log, power: int = PTAU_POWER) -> Path:
    """A fresh single-party powers of tau (2^power; 2^13 takes about 2-3 minutes on two cores)."""
    snarkjs = _tool("snarkjs")
    p0, p1, p2 = work / "pot0.ptau", work / "pot1.ptau", work / "pot.ptau"
    log(f"powers of tau 2^{power}: new" + (" (this takes a few minutes)" if power >= 12 else ""))
    _run(snarkjs + ["powersoftau", "new", "bn128", str(power), str(p0)], log)
    _run(snarkjs + ["powersoftau", "contribute", str(p0), str(p1), "--name=anomi-dev",
                    f"-e={secrets.token_hex(32)}"], log)
    log("powers of tau: prepare phase 2")
    _run(snarkjs + ["powersoftau", "prepare", "phase2", str(p1), str(p2)], log)
    return p2


def check_keys(circuit: str, pk: groth16py.ProvingKey, vk: groth16py.VerifyingKey,
               wasm: Path, sample: CircuitInputs | None = None) -> None:
    """Prove and verify a sample statement: keys for another circuit cannot pass this."""
    from .statements import sample_inputs
    from .witness import calculate_witness, write_wtns
    from protocol.poseidon import FIELD_MODULUS
    ci = sample if sample is not None else sample_inputs(circuit)
    if vk.n_public != len(ci.public_inputs):
        raise ArtifactError(f"the key does not fit circuit {circuit}: it has {vk.n_public} "
                            f"public inputs, the circuit {len(ci.public_inputs)}")
    with tempfile.TemporaryDirectory() as tmp:
        wtns = Path(tmp) / "w.wtns"
        write_wtns(wtns, calculate_witness(wasm, ci.inputs), FIELD_MODULUS)
        try:
            proof = groth16py.prove_wtns(pk, str(wtns))
            ok = groth16py.Verifier(vk).verify(proof, list(ci.public_inputs))
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise ArtifactError(f"the key does not fit circuit {circuit}: {exc}") from None
    if not ok:
        raise ArtifactError(f"the key does not fit circuit {circuit}: its sample proof fails")


def _install(target: SetupTarget, directory: Path, r1cs: Path, wasm: Path, zkey: Path,
             constraints: int, setup_label: str, log: Log) -> None:
    circuit = target.name
    try:
        pk, vk = groth16py.import_zkey(str(zkey))
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ArtifactError(f"{zkey} is not a usable Groth16 zkey: {exc}") from None
    check_keys(circuit, pk, vk, wasm, target.sample())
    names = file_names(circuit)
    (directory / circuit).mkdir(parents=True, exist_ok=True)
    for kind, src in (("r1cs", r1cs), ("wasm", wasm), ("zkey", zkey)):
        dst = directory / names[kind]
        if src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
    vk_json = json.loads(vk.to_json())
    (directory / names["verification_key"]).write_text(json.dumps(vk_json, indent=1) + "\n")
    try:
        manifest = load_manifest(directory)
    except ArtifactError:
        manifest = {"type": MANIFEST_TYPE, "version": MANIFEST_VERSION, "circuits": {}}
    manifest["compiler"] = "circom 2.2.3 (npm circom2 0.2.23), --O2, circomlib 2 as vendored by groth16py 0.2.0"
    manifest["circuits"][circuit] = {
        "source": _source_label(target.source),
        "source_sha256": sha256_file(target.source),
        "constraints": constraints,
        "public_inputs": list(target.public_inputs),
        "setup": setup_label,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verifying_key_sha256": vk_fingerprint(vk_json),
        "files": {kind: {"path": names[kind], "sha256": sha256_file(directory / names[kind]),
                         "size": (directory / names[kind]).stat().st_size}
                  for kind in names},
    }
    write_manifest(directory, manifest)
    clear_cache()
    log(f"{circuit}: installed ({setup_label.split(':')[0]})")


def run_dev_setup(circuits: Sequence[str | SetupTarget] | None = None, directory: Path | None = None,
                  ptau: Path | None = None, log: Log = print, *, ptau_power: int = PTAU_POWER) -> None:
    """Regenerate r1cs/wasm/zkey/verification_key.json for the circuits (UNSAFE dev setup).

    ``circuits``: registered names (default: all) or SetupTargets; ``ptau``: a prepared powers
    of tau to reuse, else a fresh one of 2^``ptau_power`` is made.
    """
    if not 1 <= ptau_power <= MAX_PTAU_POWER:
        raise ArtifactError(f"the powers of tau size must be 2^1..2^{MAX_PTAU_POWER}, not 2^{ptau_power}")
    directory = directory or artifacts_dir()
    targets = [c if isinstance(c, SetupTarget) else registered_target(c) for c in (circuits or sorted(CIRCUITS))]
    log(f"WARNING: {UNSAFE_LABEL}")
    snarkjs = _tool("snarkjs")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="anomi-setup-") as tmp:
        work = Path(tmp)
        compiled = {t.name: (t, *compile_circuit(t.name, work / t.name, log, t.source)) for t in targets}
        if ptau is None:
            # Groth16 needs a domain of at least constraints + public inputs + 1 points
            need = max(constraints + len(t.public_inputs) + 1 for t, _r, _w, constraints in compiled.values())
            if need > 1 << ptau_power:
                raise ArtifactError(f"a powers of tau of 2^{ptau_power} is too small for these circuits "
                                    f"(they need {need} points: 2^{(need - 1).bit_length()} or more)")
        ptau_path = ptau or make_ptau(work, log, ptau_power)
        for c, (target, r1cs, wasm, constraints) in compiled.items():
            z0, z1 = work / f"{c}_0.zkey", work / f"{c}.zkey"
            log(f"{c}: groth16 setup")
            _run(snarkjs + ["groth16", "setup", str(r1cs), str(ptau_path), str(z0)], log)
            _run(snarkjs + ["zkey", "contribute", str(z0), str(z1), "--name=anomi-dev",
                            f"-e={secrets.token_hex(32)}"], log)
            _install(target, directory, r1cs, wasm, z1, constraints, UNSAFE_LABEL, log)


def import_zkey(circuit: str, zkey: Path, directory: Path | None = None,
                log: Log = print) -> None:
    """Install a ceremony zkey for `circuit`; the r1cs/wasm stay those already installed."""
    directory = directory or artifacts_dir()
    spec(circuit)
    if not Path(zkey).is_file():
        raise ArtifactError(f"no such file: {zkey}")
    entry = load_manifest(directory).get("circuits", {}).get(circuit)
    if entry is None:
        raise ArtifactError(f"{circuit} has no compiled circuit installed to pair the zkey with")
    names = file_names(circuit)
    r1cs, wasm = directory / names["r1cs"], directory / names["wasm"]
    with tempfile.TemporaryDirectory(prefix="anomi-import-") as tmp:
        staged = Path(tmp) / "ceremony.zkey"
        shutil.copyfile(zkey, staged)
        _install(registered_target(circuit), directory, r1cs, wasm, staged, int(entry["constraints"]),
                 f"imported ceremony zkey ({Path(zkey).name})", log)

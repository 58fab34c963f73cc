"""`anomi prove ...` (offline proving) and `anomi prover ...` (keys and artifacts).

`anomi prove REQUEST.json -o PROOF.json` needs no network and no cluster: only the installed
circuit artifacts. Everything else manages those artifacts (docs/circuits.md). The wallet
(wallet/commands/settle.py) extends the same verb: `anomi prove ORDER_ID` proves a matched
order's rail payment online, so this parser takes either argument and `-o` is checked here.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _artifacts(args: argparse.Namespace) -> Path | None:
    return Path(args.artifacts).expanduser() if getattr(args, "artifacts", None) else None


def _read(path: str) -> str:
    from protocol.cli_errors import CliError
    try:
        return Path(path).expanduser().read_text()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _prove(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from .artifacts import ArtifactError, load_keys
    from .engine import Prover, ProverError
    from .files import ProofFileError, parse_request, proof_file_json
    from .statements import StatementError

    if not args.output:
        raise CliError(f"where should the proof go? `anomi prove {args.request} -o PROOF.json`")
    try:
        request = parse_request(_read(args.request))
        keys = load_keys(request.circuit, _artifacts(args))
        if request.verifying_key_sha256 != keys.vk_sha256:
            raise CliError(
                f"the request expects a different {request.circuit} key "
                f"({request.verifying_key_sha256[:12]}…; installed {keys.vk_sha256[:12]}…): "
                "install the matching key with `anomi prover import-zkey`")
        ci = request.circuit_inputs()

        def progress(stage: str, i: int, n: int) -> None:
            if not args.quiet:
                print(f"[{i}/{n}] {stage}", file=sys.stderr)

        proof = Prover(_artifacts(args)).prove_now(ci, progress)
    except (ProofFileError, StatementError, ArtifactError, ProverError) as exc:
        raise CliError(str(exc)) from None
    text = proof_file_json(proof, request.statement)
    out = Path(args.output).expanduser()
    try:
        out.write_text(text + "\n")
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None
    if not args.quiet:
        print(f"wrote {request.circuit} proof to {out}", file=sys.stderr)
    if args.json:
        print(json.dumps({"circuit": request.circuit, "output": str(out),
                          "verifying_key_sha256": proof.vk_sha256}, indent=1, sort_keys=True))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from .artifacts import ArtifactError
    from .files import ProofFileError, load_proof_file

    try:
        imported = load_proof_file(_read(args.proof), _artifacts(args))
    except (ProofFileError, ArtifactError) as exc:
        raise CliError(str(exc)) from None
    print(f"valid {imported.proof.circuit} proof "
          f"(verifying key {imported.proof.vk_sha256[:16]}…)")
    return 0


def _setup(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from .artifacts import ArtifactError
    from .setup import run_dev_setup

    try:
        run_dev_setup(args.circuit or None, _artifacts(args),
                      Path(args.ptau).expanduser() if args.ptau else None,
                      log=lambda m: print(m, file=sys.stderr))
    except (ArtifactError, ValueError) as exc:
        raise CliError(str(exc)) from None
    return 0


def _import_zkey(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from .artifacts import ArtifactError
    from .setup import import_zkey

    try:
        import_zkey(args.circuit, Path(args.zkey).expanduser(), _artifacts(args),
                    log=lambda m: print(m, file=sys.stderr))
    except (ArtifactError, ValueError) as exc:
        raise CliError(str(exc)) from None
    return 0


def _status(args: argparse.Namespace) -> int:
    from protocol.cli_errors import CliError
    from .artifacts import ArtifactError, check_circuit_files, load_manifest
    from .circuits_registry import CIRCUITS

    try:
        manifest = load_manifest(_artifacts(args))
        rows = {}
        for name in sorted(CIRCUITS):
            entry = check_circuit_files(name, _artifacts(args))
            rows[name] = {"constraints": entry["constraints"], "setup": entry["setup"],
                          "public_inputs": entry["public_inputs"],
                          "verifying_key_sha256": entry["verifying_key_sha256"]}
    except ArtifactError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps({"compiler": manifest.get("compiler"), "circuits": rows}, indent=1))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    prove = subparsers.add_parser(
        "prove", help="prove a request file offline (REQUEST.json -o PROOF.json, no network) "
                      "or a matched order's payment (ORDER_ID, as prove-payment)")
    prove.add_argument("request", metavar="REQUEST.json|ORDER_ID")
    prove.add_argument("-o", "--output", metavar="PROOF.json",
                       help="the proof file (required for a request file)")
    prove.add_argument("--artifacts", metavar="DIR", help="circuit artifacts directory")
    prove.add_argument("-q", "--quiet", action="store_true")
    prove.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    prove.set_defaults(func=_prove)

    prover = subparsers.add_parser("prover", help="zero-knowledge circuit keys and artifacts")
    sub = prover.add_subparsers(dest="prover_command", metavar="SUBCOMMAND", required=True)

    setup = sub.add_parser(
        "setup", help="regenerate r1cs/wasm/zkey/verifying keys (UNSAFE single-party dev "
                      "setup; needs Node + tests/peers)")
    setup.add_argument("--circuit", action="append", help="only this circuit (repeatable)")
    setup.add_argument("--ptau", metavar="FILE", help="reuse a prepared powers-of-tau (2^13+)")
    setup.add_argument("--artifacts", metavar="DIR", help="artifacts directory to write")
    setup.set_defaults(func=_setup)

    imp = sub.add_parser("import-zkey", help="install a ceremony .zkey made with snarkjs")
    imp.add_argument("circuit", metavar="CIRCUIT")
    imp.add_argument("zkey", metavar="FILE.zkey")
    imp.add_argument("--artifacts", metavar="DIR")
    imp.set_defaults(func=_import_zkey)

    ver = sub.add_parser("verify", help="check a proof file against the installed keys")
    ver.add_argument("proof", metavar="PROOF.json")
    ver.add_argument("--artifacts", metavar="DIR")
    ver.set_defaults(func=_verify)

    st = sub.add_parser("status", help="check the installed artifacts against the manifest")
    st.add_argument("--artifacts", metavar="DIR")
    st.set_defaults(func=_status)

"""What the wallet's entry point loads before its first window: never the prover stack, the MPC
library, Hypothesis, spl-token's construct/pdb or the keyring (an opt-in) (issue 14 cold start,
bench/cold_start.py).

A fresh interpreter (as `anomi-wallet` starts) imports the app module, the way the console
script does, and lists the heavy packages it pulled in.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NEVER_AT_START = ("prover", "groth16py", "wasmtime", "py_ecc", "mpyc", "hypothesis", "spl",
                  "construct", "pdb", "localnet", "keyring")

PROBE = """
import json, sys
import wallet.gui.app
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""


def test_the_app_module_loads_none_of_the_heavy_packages() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "PySide6" in loaded and "wallet" in loaded   # the probe did import the app
    assert not loaded & set(NEVER_AT_START), sorted(loaded & set(NEVER_AT_START))


def test_the_core_loads_before_pyside6() -> None:
    """import_order.py must run before the first PySide6 import (shiboken's per-import source
    check is what it avoids): the first wallet.core module is imported before PySide6."""
    probe = ("import sys\n"
             "import wallet.gui.app\n"
             "names = list(sys.modules)   # insertion order: the order imports began\n"
             "first = lambda p: next(i for i, n in enumerate(names) if n.startswith(p))\n"
             "print(first('wallet.core.balances') < first('PySide6'), first('shiboken6') > first('solana.rpc'))\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "True True"


def test_the_wallet_names_the_provers_stages_without_importing_it() -> None:
    from prover.engine import STAGES
    from wallet.core.proof_jobs import STAGES as WALLET_STAGES

    assert WALLET_STAGES == STAGES

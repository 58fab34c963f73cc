"""Layers, lint and types are part of `make test`: import-linter, ruff and mypy, configured in
pyproject.toml, run from the project's venv; a finding fails the test with the tool's output.

Why as tests: a rule only a CI job or a pre-commit hook checks is skipped by whoever runs only
`make test`. Each tool also gets one deliberately bad input, so a misconfigured (always green)
check is noticed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed in this venv: `pip install -e '.[test]'` (pyproject.toml pins it)")
    return found


def run(argv: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def assert_clean(out: subprocess.CompletedProcess) -> None:
    assert out.returncode == 0, f"{' '.join(out.args[:3])} failed:\n{out.stdout}\n{out.stderr}"


def test_import_contracts() -> None:
    assert_clean(run([tool("lint-imports"), "--no-cache"]))


def test_ruff() -> None:
    assert_clean(run([tool("ruff"), "check", "--no-cache", "."]))


def test_mypy() -> None:
    assert_clean(run([tool("mypy"), "--no-incremental", "--cache-dir", os.devnull]))


def test_the_checks_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f(x: int) -> str:\n    return x\n")
    ruff = run([tool("ruff"), "check", "--no-cache", "--isolated", "--select", "F", str(bad)])
    assert ruff.returncode != 0 and "F401" in ruff.stdout
    mypy = run([tool("mypy"), "--no-incremental", "--cache-dir", os.devnull, str(bad)], cwd=tmp_path)
    assert mypy.returncode != 0 and "return-value" in mypy.stdout
    contract = tmp_path / "contracts.toml"
    contract.write_text('[tool.importlinter]\nroot_packages = ["wallet", "protocol"]\n\n'
                        '[[tool.importlinter.contracts]]\nname = "deliberately wrong"\ntype = "forbidden"\n'
                        'source_modules = ["wallet.core"]\nforbidden_modules = ["protocol"]\n')
    linter = run([tool("lint-imports"), "--no-cache", "--config", str(contract)])
    assert linter.returncode != 0 and "BROKEN" in linter.stdout

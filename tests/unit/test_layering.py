"""The import direction of DESIGN.md is a rule, so it is checked, not hoped for.

gui → core → protocol, localnet → protocol, prover → protocol. Qt only in wallet/gui; the core
never reaches into the cluster; nothing outside wallet imports wallet (not even wallet.cli: the
`anomi` dispatcher and CliError live in protocol/cli_dispatch.py and protocol/cli_errors.py).

This is the quick AST check of every file (also functions' local imports, which it sees as
import-linter does); the import-linter contracts in pyproject.toml (tests/unit/test_static_checks.py)
check the same rules on the import graph, with layers.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("wallet/core", ("PySide6", "qasync", "localnet", "wallet.gui", "wallet.cli", "wallet.commands")),
        ("wallet/commands", ("PySide6", "qasync", "wallet.gui", "wallet.cli")),
        ("prover", ("PySide6", "qasync", "wallet", "localnet")),
        ("protocol", ("PySide6", "qasync", "wallet", "localnet", "prover")),
        ("localnet", ("PySide6", "qasync", "wallet")),
    ],
)
def test_import_direction(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == []


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtWidgets import QWidget\nimport localnet.bank\n")
    assert imported_modules(bad) == {"PySide6.QtWidgets", "localnet.bank"}

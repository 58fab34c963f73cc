"""The command lines by which one ANOMI process starts another (the wallet its cluster, the
cluster its side services and their child guard).

Why a shared helper: from a source tree or an installed venv the child is `python -m <module>`,
but in a PyInstaller bundle ``sys.executable`` is the bundle's own binary, which runs no `-m`.
There the child is the bundle's `anomi` binary (next to the GUI binary in the same onedir
bundle), and a module is run through its `--anomi-run-module` switch, which
packaging/anomi_cli_main.py handles before the CLI parses its arguments.

Why `python -m localnet` and not the `anomi` dispatcher: the cluster and its side services are
`localnet`'s own commands (localnet/cli.py ``main``), so starting them never loads the wallet
(which `localnet` must not import). The `anomi` command line itself is the wallet's entry point
(``wallet.cli.anomi_argv``).
"""
from __future__ import annotations

import sys
from pathlib import Path

RUN_MODULE_SWITCH = "--anomi-run-module"


def is_frozen() -> bool:
    """True inside a PyInstaller (or similar) bundle."""
    return bool(getattr(sys, "frozen", False))


def bundled_anomi() -> str:
    """Path of the `anomi` binary of the running bundle."""
    exe = Path(sys.executable)
    return str(exe.with_name("anomi" + exe.suffix))


def module_argv(module: str, *args: str) -> list[str]:
    """argv that runs `python -m <module> <args>` with the same interpreter or bundle."""
    if is_frozen():
        return [bundled_anomi(), RUN_MODULE_SWITCH, module, *args]
    return [sys.executable, "-m", module, *args]


def localnet_argv(*args: str) -> list[str]:
    """argv of `python -m localnet <args>`: `up …` (the cluster) or `rails|mxe|directory up …`."""
    return module_argv("localnet", *args)

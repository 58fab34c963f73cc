"""The command lines by which one ANOMI process starts another (the wallet its cluster, the
cluster its side services and their child guard).

Why a shared helper: from a source tree or an installed venv the child is `python -c <main>` or
`python -m <module>`, but in a PyInstaller bundle ``sys.executable`` is the bundle's own binary,
which runs no `-c`/`-m`. There the child is the bundle's `anomi` binary (next to the GUI binary
in the same onedir bundle), and a module is run through its `--anomi-run-module` switch, which
packaging/entry_anomi.py handles before the CLI parses its arguments.
"""
from __future__ import annotations

import sys
from pathlib import Path

# `-c` rather than `-m wallet.cli`: under -m the dispatcher module would be loaded twice and a
# command's CliError would not be the one main() catches.
ANOMI_MAIN = "import sys; from wallet.cli import main; sys.exit(main())"
RUN_MODULE_SWITCH = "--anomi-run-module"


def is_frozen() -> bool:
    """True inside a PyInstaller (or similar) bundle."""
    return bool(getattr(sys, "frozen", False))


def bundled_anomi() -> str:
    """Path of the `anomi` binary of the running bundle."""
    exe = Path(sys.executable)
    return str(exe.with_name("anomi" + exe.suffix))


def anomi_argv(*args: str) -> list[str]:
    """argv that runs `anomi <args>` with the same interpreter or bundle as this process."""
    if is_frozen():
        return [bundled_anomi(), *args]
    return [sys.executable, "-c", ANOMI_MAIN, *args]


def module_argv(module: str, *args: str) -> list[str]:
    """argv that runs `python -m <module> <args>` with the same interpreter or bundle."""
    if is_frozen():
        return [bundled_anomi(), RUN_MODULE_SWITCH, module, *args]
    return [sys.executable, "-m", module, *args]

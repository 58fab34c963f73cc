"""The error a command of the `anomi` CLI raises to stop with a one-line message.

Why in ``protocol``: every subsystem (the local cluster, the rail sandbox, the MXE node, the
prover, the wallet) registers its own subcommands, and the dispatcher in ``wallet.cli`` must
catch one and the same class from all of them. The shared bottom layer is the only place all of
them may import, so the class lives here and ``wallet.cli`` re-exports it.
"""
from __future__ import annotations


class CliError(Exception):
    """A user-facing error: printed as one line (or one JSON object under --json), exit code 2,
    no traceback."""

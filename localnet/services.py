"""Side services that `anomi localnet up` starts next to the ledger and RPC server.

Why a list of specs: the cluster owns process supervision (start, wait until ready, stop), while
each subsystem (fiat rail, MXE node, ...) owns how it is launched. A subsystem adds one entry
here; `localnet up` runs every entry as a child process with the ledger directory and RPC port
it was given, waits for the service's ready line on stdout, and stops it on shutdown (SIGTERM).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from protocol.entry_argv import localnet_argv

DEFAULT_RPC_PORT = 8899


@dataclass(frozen=True)
class ServiceSpec:
    """How to launch one side service of the local cluster."""

    name: str
    # (ledger_dir, rpc_port) -> full argv of the child process
    argv: Callable[[Path, int], list[str]]
    # a stdout line starting with this text means the service is ready
    ready_prefix: str


def rails_port(rpc_port: int) -> int:
    """The fiat rail listens on 8910, or rpc_port + 11 when the RPC port is not the default."""
    return 8910 if rpc_port == DEFAULT_RPC_PORT else rpc_port + 11


def _rails_argv(ledger_dir: Path, rpc_port: int) -> list[str]:
    return localnet_argv("rails", "up", "--port", str(rails_port(rpc_port)), "--data", str(Path(ledger_dir) / "rails"))


def _mxe_argv(ledger_dir: Path, rpc_port: int) -> list[str]:
    return localnet_argv("mxe", "cluster", "--ledger", str(ledger_dir),
                      "--rpc-url", f"http://127.0.0.1:{rpc_port}", "--ws-url", f"ws://127.0.0.1:{rpc_port + 1}")


def directory_port(rpc_port: int) -> int:
    """The payee directory listens on 8911, or rpc_port + 12 when the RPC port is not the default."""
    return 8911 if rpc_port == DEFAULT_RPC_PORT else rpc_port + 12


def _directory_argv(ledger_dir: Path, rpc_port: int) -> list[str]:
    return localnet_argv("directory", "up", "--port", str(directory_port(rpc_port)),
                      "--rpc-url", f"http://127.0.0.1:{rpc_port}", "--data", str(Path(ledger_dir) / "directory"))


SERVICES: list[ServiceSpec] = [
    ServiceSpec(name="rails", argv=_rails_argv, ready_prefix="rails: listening on"),
    ServiceSpec(name="mxe", argv=_mxe_argv, ready_prefix="mxe: ready"),
    ServiceSpec(name="directory", argv=_directory_argv, ready_prefix="directory: listening on"),
]

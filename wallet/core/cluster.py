"""Reach the profile's cluster, starting the embedded localnet in the background if needed.

Why a detached process and a lock: several wallets on one machine (a buyer and a seller, or
the GUI and a CLI script) share one local cluster. The first one to find nothing answering
takes an exclusive lock, starts `anomi localnet up` in its own session (so closing that
wallet does not stop the cluster the others use), and waits until getHealth answers; the
others wait on the lock and then find the cluster healthy. The wallet never imports the
cluster's code: it starts the `anomi` command and speaks JSON-RPC to it, exactly as it would
to a remote RPC node.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import time
from pathlib import Path
from typing import AsyncIterator

import aiohttp

from protocol.entry_argv import localnet_argv

from .config import ClusterProfile, data_dir
from .process_locks import LockTimeout, async_file_lock



log = logging.getLogger(__name__)


class ClusterError(Exception):
    """The cluster cannot be reached or started; the message says what to do."""


async def rpc_call(session: aiohttp.ClientSession, url: str, method: str, params: list | None = None,
                   timeout: float = 5.0) -> object:
    """One raw JSON-RPC call (for methods solana-py does not wrap, e.g. anomi_*)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
        doc = await resp.json(content_type=None)
    if not isinstance(doc, dict):
        raise ClusterError(f"{method}: malformed JSON-RPC reply")
    if doc.get("error"):
        err = doc["error"]
        raise ClusterError(f"{method}: {err.get('message', err) if isinstance(err, dict) else err}")
    return doc.get("result")


async def is_healthy(rpc_url: str, timeout: float = 2.0,
                     session: aiohttp.ClientSession | None = None) -> bool:
    """Whether `getHealth` answers "ok"; pass `session` to poll over one HTTP session."""
    try:
        if session is not None:
            return await rpc_call(session, rpc_url, "getHealth", timeout=timeout) == "ok"
        async with aiohttp.ClientSession() as own:
            return await rpc_call(own, rpc_url, "getHealth", timeout=timeout) == "ok"
    except (aiohttp.ClientError, asyncio.TimeoutError, ClusterError, OSError, ValueError):
        return False


@contextlib.asynccontextmanager
async def _machine_lock(path: Path, timeout: float) -> AsyncIterator[None]:
    """An exclusive inter-process lock (every OS), awaited without blocking the event loop."""
    try:
        async with async_file_lock(path, timeout):
            yield
    except LockTimeout:
        raise ClusterError(f"another wallet holds {path} for too long") from None


def localnet_command(profile: ClusterProfile, ledger_dir: Path | None, *, reset: bool = False) -> list[str]:
    argv = localnet_argv("up", "--rpc-port", str(profile.rpc_port))
    if ledger_dir is not None:
        argv += ["--ledger", str(ledger_dir)]
    if reset:
        argv.append("--reset")
    return argv


def cluster_reason(log_tail: str) -> str | None:
    """The cluster's own one-line refusal (`anomi: ...`) from its log, if it gave one.

    Why: `anomi localnet up` explains what is wrong (a ledger from an older ANOMI, a ledger in
    use, a port taken) on one `anomi:` line; that sentence, not "exited with code 2", is what a
    user needs to see first."""
    reasons = [line[len("anomi: "):] for line in log_tail.splitlines() if line.startswith("anomi: ")]
    return reasons[-1] if reasons else None


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def ensure_local_cluster(profile: ClusterProfile, *, root: Path | None = None,
                               ledger_dir: Path | None = None, timeout: float = 90.0,
                               reset: bool = False) -> bool:
    """Make sure something healthy answers at the profile's RPC URL.

    Returns True if this call started the embedded cluster, False if one was already up.
    Only embedded loopback profiles are started; for others a dead URL is an error.
    ``reset=True`` recreates the local test ledger (only when this call starts the cluster):
    the user's answer to a ledger the cluster refuses, never a default.
    """
    if await is_healthy(profile.rpc_url):
        return False
    if not (profile.embedded and profile.is_loopback):
        raise ClusterError(f"no cluster answers at {profile.rpc_url}; check the profile's RPC URL")
    root = Path(root) if root is not None else data_dir()
    port = profile.rpc_port
    async with _machine_lock(root / f"localnet-{port}.lock", timeout):
        if await is_healthy(profile.rpc_url):
            return False  # another wallet started it while we waited for the lock
        log_path = root / f"localnet-{port}.log"
        log.info("starting the embedded cluster on port %d (its output: %s)", port, log_path)
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(
                localnet_command(profile, ledger_dir, reset=reset), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        (root / f"localnet-{port}.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:  # one session for the whole wait
            while time.monotonic() < deadline:
                if await is_healthy(profile.rpc_url, timeout=1.0, session=session):
                    return True
                if proc.poll() is not None:
                    tail = _log_tail(log_path)
                    reason = cluster_reason(tail) or f"it exited (code {proc.returncode}) before answering"
                    raise ClusterError(f"the embedded cluster did not start: {reason}\nlog {log_path}:\n{tail}")
                await asyncio.sleep(0.25)
        raise ClusterError(f"the embedded cluster did not become healthy within {timeout:.0f}s; "
                           f"see {log_path}")

"""Running the rail as a process: data-dir lock, loopback bind, graceful stop on SIGTERM/SIGINT.

Why a lock file: two rail processes on one data directory would each believe their idempotency
checks and balances are authoritative; SQLite would keep the data consistent, but the second one
is always a mistake, so it is refused with a clear message instead.
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sys
from pathlib import Path
from typing import IO

from aiohttp import web

from localnet.rails.accounts import Rail
from localnet.rails.app import build_app
from localnet.rails.clock import RailClock

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
LOCK_FILE = "rail.lock"


class RailStartError(Exception):
    """The rail cannot start (data dir busy, port taken, non-loopback host)."""


def lock_data_dir(data_dir: Path) -> IO:
    """Hold an exclusive lock on the data dir for the life of the process."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the rail's handles and credentials
    os.chmod(data_dir, 0o700)
    fh = os.fdopen(os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise RailStartError(f"another rail is already running on {data_dir}") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


async def serve(data_dir: Path, *, host: str, port: int, sandbox: bool,
                cluster_rpc: str | None = None) -> None:
    """Serve until SIGTERM/SIGINT; prints one ready line with the bound URL.

    With ``cluster_rpc`` the rail's timestamps follow the cluster's Clock (see clock.py)."""
    if host not in LOOPBACK_HOSTS:
        raise RailStartError(f"the rail binds loopback only, not {host!r}")
    lock = lock_data_dir(data_dir)
    clock = RailClock(cluster_rpc)
    rail = Rail(data_dir, sandbox=sandbox, clock=clock)
    follower = asyncio.create_task(clock.follow())
    runner = web.AppRunner(build_app(rail), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            raise RailStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound = runner.addresses[0][1]  # the real port when port=0
        try:  # stamp nothing before the cluster's clock was read once (if it answers)
            await asyncio.wait_for(clock.first_attempt.wait(), timeout=6)
        except asyncio.TimeoutError:
            pass
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"rails: listening on http://{host}:{bound} data={data_dir} "
              f"sandbox={'on' if sandbox else 'off'}", flush=True)
        print(f"rails: notary public key x={rail.notary.public_key[0]} "
              f"y={rail.notary.public_key[1]}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        follower.cancel()
        await runner.cleanup()
        rail.close()
        lock.close()

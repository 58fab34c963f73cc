"""One running local cluster: Bank + worker + JSON-RPC + PubSub + slot clock + side services.

Why a class separate from the CLI: `anomi localnet up` runs it in the foreground, and the
benchmark and tests need the same wiring with other ports and ledgers. Start order matters:
the Bank (genesis) first, then the sockets, then the slot clock, then the side services (they
talk to the RPC); shutdown runs in reverse and ends with the Bank flushing and closing its
ledger after the worker has drained its queue.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from localnet.rpc.bank_worker import BankWorker
from localnet.rpc.child_guard import guarded
from localnet.rpc.context import RpcContext
from localnet.rpc.pubsub import PubSub, start_pubsub
from localnet.rpc.server import start_http

log = logging.getLogger("localnet")
SLOT_INTERVAL = 0.4   # seconds per slot: Solana's DEFAULT_MS_PER_SLOT
SERVICE_READY_TIMEOUT = 60.0
LOCK_FILE = "localnet.lock"
_URL = re.compile(r"https?://[^\s,;]+")


class LedgerInUse(OSError):
    """Another running cluster holds this ledger directory."""


def lock_ledger(ledger_dir: Path) -> int:
    """Hold an exclusive lock on the ledger directory for as long as the node runs.

    Why: two clusters writing one ledger would corrupt each other's view of it (each keeps an
    account cache). A ``flock`` is released by the kernel when its holder dies, even by
    SIGKILL, so a restart after a crash never finds a stale lock.
    """
    import fcntl

    path = ledger_dir / LOCK_FILE
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise LedgerInUse(f"ledger {ledger_dir} is in use by another running localnet (pid {holder})") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


class LocalnetNode:
    def __init__(self, ledger_dir: Path, rpc_port: int = 8899, *, reset: bool = False,
                 host: str = "127.0.0.1", services: bool = True, allow_clock_warp: bool = False,
                 slot_interval: float = SLOT_INTERVAL) -> None:
        self.ledger_dir = Path(ledger_dir)
        self.requested_port = rpc_port
        self.reset = reset
        self.host = host
        self.run_services = services
        self.allow_clock_warp = allow_clock_warp
        # dev/test knob (`localnet up --slot-ms`): a short slot lets a test age a blockhash past
        # its 150-slot window in seconds; the blockhash rules themselves do not change
        self.slot_interval = slot_interval
        self.bank: Any = None
        self.worker: BankWorker | None = None
        self.ctx: RpcContext | None = None
        self.pubsub: PubSub | None = None
        self.rpc_port = 0
        self.ws_port = 0
        self._runners: list[Any] = []
        self._tasks: list[asyncio.Task] = []
        self._children: list[tuple[str, asyncio.subprocess.Process]] = []
        self._lock_fd: int | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.rpc_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.ws_port}"

    async def start(self) -> None:
        from localnet.bank import Bank

        loop = asyncio.get_running_loop()
        if not self.ledger_dir.exists():
            # owner-only: it holds the faucet key, the MXE node's keys and the rail's files
            self.ledger_dir.parent.mkdir(parents=True, exist_ok=True)
            self.ledger_dir.mkdir(mode=0o700, exist_ok=True)
        self._lock_fd = lock_ledger(self.ledger_dir)
        self.bank = await loop.run_in_executor(None, lambda: Bank(self.ledger_dir, reset=self.reset))
        self.worker = BankWorker(self.bank, loop)
        self.ctx = RpcContext(self.bank, self.worker, str(self.bank.genesis_hash),
                              allow_clock_warp=self.allow_clock_warp)
        self.pubsub = PubSub(self.ctx, loop)
        self.bank.add_listener(self.pubsub.listener)
        self.ctx.on_received = self.pubsub.on_received
        await self._bind()
        self.ctx.rpc_url, self.ctx.ws_url = self.rpc_url, self.ws_url
        self._tasks.append(loop.create_task(self._slot_clock(), name="slot-clock"))
        if self.run_services:
            await self._start_services()

    async def _bind(self) -> None:
        """HTTP on the requested port and PubSub on port + 1 (port 0: find a free pair)."""
        attempts = 1 if self.requested_port else 50
        last: Exception | None = None
        for _ in range(attempts):
            http_runner, port = await start_http(self.ctx, self.host, self.requested_port)
            try:
                ws_runner, ws_port = await start_pubsub(self.pubsub, self.host, port + 1)
            except OSError as exc:
                last = exc
                await http_runner.cleanup()
                continue
            self._runners = [http_runner, ws_runner]
            self.rpc_port, self.ws_port = port, ws_port
            return
        raise OSError(f"cannot bind PubSub next to the RPC port: {last}")

    async def _slot_clock(self) -> None:
        loop = asyncio.get_running_loop()
        bank = self.bank
        while True:
            started = loop.time()
            try:
                await self.worker.call(bank.advance_slot)
            except RuntimeError:
                return  # shutting down
            except Exception:
                log.exception("advance_slot failed")
            await asyncio.sleep(max(0.0, self.slot_interval - (loop.time() - started)))

    async def _start_services(self) -> None:
        from localnet.services import SERVICES

        for spec in SERVICES:
            # guarded: the service ends with the cluster, even if the cluster is SIGKILLed
            argv = guarded(spec.argv(self.ledger_dir, self.rpc_port))
            env = dict(os.environ, ANOMI_RPC_URL=self.rpc_url, ANOMI_WS_URL=self.ws_url)
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv, stdout=asyncio.subprocess.PIPE, stderr=None, env=env)
            except OSError as exc:
                print(f"localnet: service {spec.name} failed to start: {exc}", file=sys.stderr, flush=True)
                continue
            self._children.append((spec.name, proc))
            try:
                line = await asyncio.wait_for(self._wait_ready(proc, spec.ready_prefix), SERVICE_READY_TIMEOUT)
            except asyncio.TimeoutError:
                line = None
            if line is None:
                print(f"localnet: service {spec.name} did not report ready", file=sys.stderr, flush=True)
                continue
            match = _URL.search(line)
            if match:
                self.ctx.service_urls[spec.name] = match.group(0)
            self._tasks.append(asyncio.get_running_loop().create_task(self._relay(spec.name, proc)))

    @staticmethod
    async def _wait_ready(proc: asyncio.subprocess.Process, prefix: str) -> str | None:
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                return None
            line = raw.decode(errors="replace").rstrip()
            print(line, flush=True)
            if line.startswith(prefix):
                return line

    @staticmethod
    async def _relay(name: str, proc: asyncio.subprocess.Process) -> None:
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                return
            print(f"[{name}] {raw.decode(errors='replace').rstrip()}", flush=True)

    async def stop(self) -> None:
        for name, proc in reversed(self._children):
            if proc.returncode is None:
                try:
                    proc.terminate()
                    await asyncio.wait_for(proc.wait(), 10)
                except asyncio.TimeoutError:
                    proc.kill()
                    await proc.wait()
                except ProcessLookupError:
                    pass
        for task in self._tasks:
            task.cancel()
        if self.pubsub is not None:
            await self.pubsub.close()
        for runner in self._runners:
            await runner.cleanup()
        if self.worker is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.worker.stop)
        if self.bank is not None:
            self.bank.close()
            self.bank = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

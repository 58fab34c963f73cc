"""The node's side of MPC: hand jobs to the node's MPyC party process and wait for outcomes.

Why a runner with timeouts: an MPyC party waits forever for a peer that is down, and the
node must keep serving (signatures, expiry, status) meanwhile. The party is long-lived
(one MPyC session with the peers' parties, ``mpc_node_party.py``), so a computation pays neither
a process start nor a connection set-up. The runner gives it
``CONNECT_SECONDS`` to be connected to every peer, ``AGREE_SECONDS`` for every peer to take up
the same job and ``COMPUTE_SECONDS`` to finish; if one is missing (a node down, or not at this
computation yet), the computation waits and is retried on the node's next pass, exactly like
the replicated mode's missing signatures. A party past a deadline is killed (SIGKILL: MPyC's
own shutdown can hang after a reset connection).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from localnet.mxe.cluster import ClusterConfig

log = logging.getLogger("anomi.mxe")
CONNECT_SECONDS = 4.0     # every peer's party connected
AGREE_SECONDS = 10.0      # every peer's party given the same job
COMPUTE_SECONDS = 60.0


@dataclass(frozen=True)
class PartyOutcome:
    output: bytes | None      # the callback output bytes (identical at every honest node)
    rejected: str | None      # inputs refused inside MPC (range, binding): a Failure result
    aborted: str | None       # no agreement / a peer misbehaved / a peer is down: retry later
    timings: dict[str, float] | None = None  # the party's seconds per phase


class PartyRunner:
    def __init__(self, cfg: ClusterConfig, index: int, node_dir: Path) -> None:
        self.cfg, self.index, self.node_dir = cfg, index, Path(node_dir)
        self._party: asyncio.subprocess.Process | None = None
        self._connected = False
        # the job hand-off files: one directory per node, reused (one node process per directory)
        self.work = self.node_dir / "mpc-work"
        self.work.mkdir(mode=0o700, exist_ok=True)

    def argv(self) -> list[str]:
        parties = [a for n in self.cfg.nodes for a in ("--party", f"{n.host}:{n.mpc_port}")]
        return [sys.executable, "-m", "localnet.mxe.mpc_node_party", "--index", str(self.index), *parties,
                "--node-dir", str(self.node_dir)]

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.argv(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=dict(os.environ), start_new_session=True)

    async def warm_up(self) -> None:
        """Have a live party (started and connecting) ready for the next job."""
        if self._party is None or self._party.returncode is not None:
            if self._party is not None:
                await self._kill(self._party)
            self._party, self._connected = await self._spawn(), False

    async def _drop(self) -> None:
        """Kill the party (a peer is missing or misbehaved); the next job starts a fresh one."""
        if self._party is not None:
            await self._kill(self._party)
        self._party, self._connected = None, False

    async def run(self, job: dict) -> PartyOutcome:
        await self.warm_up()
        proc = self._party
        assert proc is not None and proc.stdin is not None
        job_path, out_path = self.work / "job.json", self.work / "out.json"
        job_path.write_text(json.dumps(job))
        with contextlib.suppress(FileNotFoundError):
            out_path.unlink()
        try:
            if not self._connected:
                if not await self._expect(proc, "connected", CONNECT_SECONDS):
                    # keep a party that is still connecting (it has no job yet): killing it would
                    # cut the links it already made, the peers' parties would end too, and after
                    # a node restart the cluster could keep missing itself until the computation
                    # expired; a party that ended is replaced on the next attempt
                    if proc.returncode is not None:
                        await self._drop()
                    return PartyOutcome(None, None, "a peer's MPC party is not there (node down?)")
                self._connected = True
            proc.stdin.write(f"{job_path}\t{out_path}\n".encode())
            await proc.stdin.drain()
            if not await self._expect(proc, "agreed", AGREE_SECONDS):
                await self._drop()
                return PartyOutcome(None, None, "the peers' MPC parties did not take up this computation")
            if not await self._expect(proc, "done", COMPUTE_SECONDS):
                await self._drop()
                return PartyOutcome(None, None, "the MPC did not finish in time")
        except (BrokenPipeError, ConnectionResetError) as exc:
            await self._drop()
            return PartyOutcome(None, None, f"the MPC party died: {exc}")
        try:
            result = json.loads(out_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            await self._drop()
            return PartyOutcome(None, None, "the MPC party left no result")
        if result.get("session_ended"):
            await self._drop()
        timings = {str(k): float(v) for k, v in (result.get("timings") or {}).items()}
        if "abort" in result:
            return PartyOutcome(None, None, str(result["abort"]))
        if result.get("rejected"):
            return PartyOutcome(None, str(result["rejected"]), None, timings)
        return PartyOutcome(bytes.fromhex(result["output"]), None, None, timings)

    @staticmethod
    async def _expect(proc: asyncio.subprocess.Process, word: str, seconds: float) -> bool:
        """Read the party's progress lines until ``word``; False on timeout or if it ended."""
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(seconds):
                while True:
                    line = await proc.stdout.readline()
                    if not line:
                        return False
                    if line.strip() == word.encode():
                        return True
        except TimeoutError:
            return False

    @staticmethod
    async def _kill(proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)

    async def close(self) -> None:
        await self._drop()

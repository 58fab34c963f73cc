"""The node's side of MPC: hand a job to a warm MPyC party process and wait for its outcome.

Why a runner with timeouts: an MPyC party waits forever for a peer that is down, and the
node must keep serving (signatures, expiry, status) meanwhile. The runner gives the party
``CONNECT_SECONDS`` to connect to every peer — if one is missing, the computation waits and is
retried on the node's next pass, exactly like the replicated mode's missing signatures — and
``COMPUTE_SECONDS`` to finish; a party past either deadline is killed (SIGKILL: MPyC's own
shutdown can hang after a reset connection). A warm party (imported, waiting on stdin) is
kept ready so a computation does not pay the process start.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localnet.mxe.cluster import ClusterConfig

log = logging.getLogger("anomi.mxe")
CONNECT_SECONDS = 4.0
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
        self._warm: asyncio.subprocess.Process | None = None
        self.work = Path(tempfile.mkdtemp(prefix="mpc-", dir=self.node_dir))

    def argv(self) -> list[str]:
        parties = [a for n in self.cfg.nodes for a in ("--party", f"{n.host}:{n.mpc_port}")]
        return [sys.executable, "-m", "localnet.mxe.mpc_node_party", "--index", str(self.index), *parties,
                "--node-dir", str(self.node_dir)]

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.argv(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=dict(os.environ), start_new_session=True)

    async def warm_up(self) -> None:
        if self._warm is None or self._warm.returncode is not None:
            self._warm = await self._spawn()

    async def run(self, job: dict) -> PartyOutcome:
        await self.warm_up()
        proc, self._warm = self._warm, None
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        job_path, out_path = self.work / "job.json", self.work / "out.json"
        job_path.write_text(json.dumps(job))
        with contextlib.suppress(FileNotFoundError):
            out_path.unlink()
        try:
            proc.stdin.write(f"{job_path}\t{out_path}\n".encode())
            await proc.stdin.drain()
            async with asyncio.timeout(CONNECT_SECONDS):
                line = await proc.stdout.readline()
            if line.strip() != b"connected":
                return PartyOutcome(None, None, "the MPC party ended before connecting")
            async with asyncio.timeout(COMPUTE_SECONDS):
                await proc.wait()
        except TimeoutError:
            return PartyOutcome(None, None, "a peer's MPC party did not answer in time (node down?)")
        except (BrokenPipeError, ConnectionResetError) as exc:
            return PartyOutcome(None, None, f"the MPC party died: {exc}")
        finally:
            await self._kill(proc)
            await self.warm_up()
        try:
            result = json.loads(out_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return PartyOutcome(None, None, "the MPC party left no result")
        if "abort" in result:
            return PartyOutcome(None, None, str(result["abort"]))
        timings = {str(k): float(v) for k, v in (result.get("timings") or {}).items()}
        if result.get("rejected"):
            return PartyOutcome(None, str(result["rejected"]), None, timings)
        return PartyOutcome(bytes.fromhex(result["output"]), None, None, timings)

    @staticmethod
    async def _kill(proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)

    async def close(self) -> None:
        if self._warm is not None:
            await self._kill(self._warm)
            self._warm = None

"""One MXE node process: watch the computation queue over RPC/PubSub, compute, co-sign, deliver.

Cluster: N such processes run side by side (``anomi mxe cluster`` starts them), each with its
own keys, data directory and port. Every node computes every computation and serves its
signature over the result (``peers.py``); a callback carries the signatures of
``required_signatures`` nodes over identical output bytes. The submitter of computation number
``sequence`` is node ``sequence % N``; the others submit only if it has not done so after
``LEADER_GRACE_SECONDS`` (a slow or dead leader does not stall the cluster when fewer than N
signatures are required). Whoever loses the race gets ``ComputationNotQueued`` and moves on.
While fewer nodes than required are up, computations wait (and expire after 180 slots).

Why it works the way it does:
* The on-chain computation account is the only source of truth. The node keeps no database:
  on start (and on every wake-up) it lists the Queued computations, so after a crash or restart
  it simply resumes; a result that was already delivered is no longer Queued, and the arcium
  program refuses a second callback for it, so no callback is ever applied twice.
* Computations run one at a time in queue order (the mempool sequence number), and the node
  waits for each callback to confirm before reading the state the next one depends on. That is
  what makes the OTC fills FIFO even though offers reference the deal's current encrypted state.
  Correctness does not rest on it: each submit_offer result is bound to the deal state it read
  (localnet/programs/otc/binding.py), so a result that lands late (confirmed after our timeout,
  in flight across a restart) is aborted on-chain instead of overwriting newer fills, and
  crank_deal is refused while offers are still being computed.
* A PubSub ``programSubscribe`` on the arcium program wakes the loop at once; a periodic poll
  covers missed notifications and a dropped socket.
* Computations left Queued past their expiry slot (e.g. because the node was down) are expired
  by the node itself (``expire_computation`` is permissionless), which delivers a Failure
  callback so the MXE program can release its pending flags.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from pathlib import Path

import aiohttp
import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.models import MemcmpOpts, TxOpts
from solders.pubkey import Pubkey

from localnet.mxe import peers, worker
from localnet.mxe import mpc_jobs
from localnet.mxe.cluster import COMPUTE_MPC, COMPUTE_REPLICATED, ClusterConfig
from localnet.mxe.executor import ComputationRejected, Placement
from localnet.mxe.keys import NodeKeys
from localnet.mxe.mpc_runner import PartyRunner
from protocol.base58 import b58encode
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID

log = logging.getLogger("anomi.mxe")
POLL_SECONDS = 1.0
CONFIRM_TIMEOUT = 20.0
GATHER_SECONDS = 3.0        # how long one attempt waits for peers to compute and sign
LEADER_GRACE_SECONDS = 3.0  # a non-leader delivers only if the leader has not after this


class MxeStartError(Exception):
    """The cluster is unreachable or its MXE account does not carry this node's keys."""


class MxeNode:
    def __init__(self, keys: NodeKeys, cfg: ClusterConfig, rpc_url: str, ws_url: str,
                 node_dir: Path | None = None) -> None:
        self.keys = keys
        # MPC mode: this node's MPyC party (needs the node's own directory: its share, key cache)
        self.runner = PartyRunner(cfg, keys.index, node_dir) if cfg.compute == COMPUTE_MPC and node_dir else None
        self.mpc_waiting_logged: set[Pubkey] = set()
        self.cfg = cfg
        self.index = keys.index
        self.rpc_url = rpc_url
        self.ws_url = ws_url
        self.client = AsyncClient(rpc_url, commitment=Confirmed, timeout=30)
        self.wake = asyncio.Event()
        self.delivered = 0
        # Computations whose callback (and Failure fallback) was refused, skipped until they expire.
        # Memory only: a restarted node retries them once, which is safe: recomputed from the
        # current state the result applies; a stale one aborts on-chain; a delivered one is refused.
        self.failed: set[Pubkey] = set()
        # This node's signed result per Queued computation (served to peers), and since when the
        # result had enough signatures (for the leader grace).
        self.signed: dict[Pubkey, tuple[worker.Result, dict, bytes]] = {}
        self.ready_since: dict[Pubkey, float] = {}
        self.waiting_logged: set[Pubkey] = set()
        # Signatures pushed by peers, checked on arrival: computation -> {index: (output_hash, sig)}
        self.pushed: dict[Pubkey, dict[int, tuple[bytes, bytes]]] = {}
        self.arrived = asyncio.Event()
        self.server = None
        self.session: aiohttp.ClientSession | None = None

    def receive(self, computation: Pubkey, index: int, output_hash: bytes, signature: bytes) -> None:
        """A peer pushed its signature: keep it only if it is that peer's valid signature."""
        if not 0 <= index < len(self.cfg.nodes) or index == self.index or len(self.pushed) > 2_000:
            return
        reply = {"index": index, "output_hash": output_hash.hex(), "signature": signature.hex()}
        if peers.verify_peer(self.cfg.nodes[index], computation, reply, output_hash) is None:
            return
        self.pushed.setdefault(computation, {})[index] = (output_hash, signature)
        self.arrived.set()

    def lookup(self, computation: Pubkey) -> tuple[bytes, bytes] | None:
        found = self.signed.get(computation)
        return None if found is None else (found[2], found[1]["signature"])

    # -- start-up ------------------------------------------------------------------------
    async def check_registration(self) -> None:
        try:
            resp = await self.client.get_account_info(otc.OTC_ARCIUM.mxe)
        except Exception as exc:  # connection refused, timeout...
            raise MxeStartError(f"cannot reach the cluster at {self.rpc_url}: {exc}") from None
        if resp.value is None:
            raise MxeStartError(f"no MXE account at {otc.OTC_ARCIUM.mxe}; is this an ANOMI localnet?")
        keys = ac.mxe_keys(ac.decode_mxe(bytes(resp.value.data)))
        mine = self.keys.x25519_public if self.cfg.compute == COMPUTE_REPLICATED else self.cfg.dkg_x25519_public
        if keys is None or keys[0] != self.cfg.x25519_public or keys[0] != mine:
            raise MxeStartError("the MXE account's x25519 key is not this cluster's (wrong ledger directory?)")
        resp = await self.client.get_account_info(otc.OTC_ARCIUM.cluster)
        if resp.value is None:
            raise MxeStartError(f"no Cluster account at {otc.OTC_ARCIUM.cluster}")
        nodes = ac.decode_cluster(bytes(resp.value.data))["nodes"]
        if self.index >= len(nodes) or nodes[self.index]["ed25519"] != self.keys.node.pubkey():
            raise MxeStartError(f"this node's key is not registered as node {self.index} of the cluster")

    # -- queue access --------------------------------------------------------------------
    async def queued(self) -> list[tuple[Pubkey, dict]]:
        resp = await self.client.get_program_accounts(
            ARCIUM_PROGRAM_ID, encoding="base64",
            filters=[MemcmpOpts(offset=0, bytes=b58encode(ac.COMPUTATION_DISCRIMINATOR)),
                     MemcmpOpts(offset=ac.COMPUTATION_STATUS_OFFSET, bytes=b58encode(b"\x00"))])
        comps = []
        for item in resp.value:
            data = bytes(item.account.data)
            if worker.is_queued(data):
                comps.append((item.pubkey, ac.decode_computation(data)))
        return sorted(comps, key=lambda kc: kc[1]["sequence"])

    async def read_accounts(self, comp: dict) -> dict[Pubkey, bytes | None]:
        keys = [a["Account"]["pubkey"] for a in comp["arguments"] if "Account" in a]
        if not keys:
            return {}
        resp = await self.client.get_multiple_accounts(keys, encoding="base64")
        return {k: (None if v is None else worker.otc_owned(v.owner, v.data)) for k, v in zip(keys, resp.value)}

    async def send_and_confirm(self, tx) -> dict | str | None:
        """Submit, then wait for confirmation; returns the transaction error (None = success)."""
        try:
            sig = (await self.client.send_raw_transaction(bytes(tx), opts=TxOpts(skip_preflight=True))).value
        except Exception as exc:  # preflight-free send still refuses e.g. an expired blockhash
            return f"send failed: {exc}"
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        delay = 0.005
        while time.monotonic() < deadline:
            status = (await self.client.get_signature_statuses([sig])).value[0]
            if status is not None and status.confirmation_status is not None:
                return None if status.err is None else str(status.err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        return "confirmation timed out"

    # -- one computation ---------------------------------------------------------------------
    async def blockhash(self):
        return (await self.client.get_latest_blockhash()).value.blockhash

    async def still_queued(self, key: Pubkey) -> bool:
        resp = await self.client.get_account_info(key)
        return resp.value is not None and worker.is_queued(bytes(resp.value.data))

    def sign_result(self, key: Pubkey, result: worker.Result) -> None:
        self.signed[key] = (result, worker.sign(self.keys, key, result.outputs), ac.output_hash(result.outputs))

    async def compute(self, key: Pubkey, comp: dict, read) -> worker.Result | None:
        """This node's result for a computation; None while the MPC cannot run (a peer is down,
        or the nodes are not at the same computation yet)."""
        if self.runner is None:
            return worker.compute(key, comp, read, self.keys)
        circuit = worker.circuit_of(comp)
        if circuit is None:
            return worker.unknown_circuit(key)
        try:
            job = mpc_jobs.plan(circuit.name, comp["arguments"], read, Placement.of(key, comp), self.cfg.x25519_public)
        except ComputationRejected as exc:
            return worker.Result(key, circuit.name, ac.failure(ac.FAILURE_REJECTED), str(exc))
        started = time.monotonic()
        outcome = await self.runner.run(job)
        if outcome.aborted:
            if key not in self.mpc_waiting_logged:
                log.warning("computation %s waits: %s", key, outcome.aborted)
                self.mpc_waiting_logged.add(key)
            return None
        phases = " ".join(f"{k}={v * 1000:.0f}" for k, v in (outcome.timings or {}).items())
        log.info("MPC %s for %s in %.0f ms (ms per phase: %s)", circuit.name, key,
                 1000 * (time.monotonic() - started), phases)
        if outcome.rejected:
            return worker.Result(key, circuit.name, ac.failure(ac.FAILURE_REJECTED), outcome.rejected)
        return worker.Result(key, circuit.name, ac.success(outcome.output), None)

    async def push_own(self, key: Pubkey) -> None:
        _, mine, output_hash = self.signed[key]
        await peers.push(self.session, self.cfg, self.index, key, output_hash, mine["signature"])

    async def handle(self, key: Pubkey, comp: dict, slot: int) -> bool:
        """Advance one computation; False when it must wait (peers not there yet, or not our turn)."""
        if slot > comp["expires_slot"]:
            err = await self.send_and_confirm(worker.expire_transaction(self.keys, key, comp, await self.blockhash()))
            log.info("expired computation %s: %s", key, err or "ok")
            return True
        if key in self.failed:
            return True
        if key not in self.signed:
            accounts = await self.read_accounts(comp)
            result = await self.compute(key, comp, accounts.get)
            if result is None:
                return False  # a peer's party is not there yet: retry on the next pass
            if result.rejected_reason:
                log.warning("computation %s (%s) rejected: %s", key, result.circuit, result.rejected_reason)
            self.sign_result(key, result)
            await self.push_own(key)
        result, mine, output_hash = self.signed[key]
        sigs = {self.index: mine["signature"]}
        need = self.cfg.required_signatures
        deadline = time.monotonic() + GATHER_SECONDS
        next_poll = 0.0
        while True:
            sigs.update({i: sig for i, (h, sig) in self.pushed.get(key, {}).items() if h == output_hash})
            if len(sigs) >= need or time.monotonic() > deadline:
                break
            if time.monotonic() >= next_poll:
                # a peer that computed while we were down pushed into the void: ask it
                sigs.update(await peers.gather_signatures(self.session, self.cfg, self.index, key, output_hash))
                next_poll = time.monotonic() + 0.5
                continue
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    await self.arrived.wait()
        if len(sigs) < need:
            if key not in self.waiting_logged:
                log.warning("computation %s waits: %d of %d node signatures", key, len(sigs), need)
                self.waiting_logged.add(key)
            return False
        leader = comp["sequence"] % len(self.cfg.nodes)
        if self.index != leader:
            since = self.ready_since.setdefault(key, time.monotonic())
            if time.monotonic() - since < LEADER_GRACE_SECONDS:
                return False
        chosen = sorted(sigs.items())[:need]
        if self.index not in dict(chosen):  # always include our own signature when we submit
            chosen = [(self.index, sigs[self.index])] + [c for c in chosen if c[0] != self.index][:need - 1]
        signatures = [ac.node_signature(i, s) for i, s in sorted(chosen)]
        tx = worker.callback_transaction(self.keys, result, comp, await self.blockhash(), signatures=signatures)
        err = await self.send_and_confirm(tx)
        if err is None:
            self.delivered += 1
            log.info("delivered %s for %s", result.circuit, key)
            return True
        if not await self.still_queued(key):
            return True  # another node delivered it first
        log.warning("callback for %s refused: %s", key, err)
        if "Success" in result.outputs:
            # The program refused the result (e.g. its own checks): sign a Failure instead. The other
            # nodes see the same refusal when they try, and converge on the same Failure bytes.
            self.sign_result(key, worker.Result(key, result.circuit, ac.failure(ac.FAILURE_REJECTED),
                                                "callback refused"))
            await self.push_own(key)
            self.ready_since.pop(key, None)
            return False
        self.failed.add(key)
        return True

    async def drain(self) -> None:
        """Process Queued computations in queue order, re-listing after each; stop when one waits."""
        while True:
            comps = await self.queued()
            live = {k for k, _ in comps}
            for store in (self.signed, self.ready_since):
                for k in [k for k in store if k not in live]:
                    del store[k]
            if len(self.pushed) > 1_000:  # pushes may precede our listing: prune only when large
                for k in [k for k in self.pushed if k not in live]:
                    del self.pushed[k]
            slot = (await self.client.get_slot()).value
            todo = [(k, c) for k, c in comps if k not in self.failed or slot > c["expires_slot"]]
            if not todo:
                return
            if not await self.handle(*todo[0], slot):
                return

    # -- loops ---------------------------------------------------------------------------
    async def watch(self) -> None:
        """programSubscribe on arcium; every notification wakes the drain loop."""
        req = {"jsonrpc": "2.0", "id": 1, "method": "programSubscribe", "params": [
            str(ARCIUM_PROGRAM_ID), {"encoding": "base64", "commitment": "confirmed",
                                     "filters": [{"memcmp": {"offset": 0,
                                                             "bytes": b58encode(ac.COMPUTATION_DISCRIMINATOR)}}]}]}
        while True:
            try:
                async with websockets.connect(self.ws_url, max_size=None, close_timeout=1) as ws:
                    await ws.send(json.dumps(req))
                    self.wake.set()
                    async for _ in ws:
                        self.wake.set()
            except (OSError, websockets.WebSocketException) as exc:
                log.info("PubSub connection lost (%s); reconnecting", exc)
            await asyncio.sleep(0.5)

    async def run(self, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> None:
        """Serve until ``stop`` is set (or the task is cancelled).

        The loop checks ``stop`` itself rather than relying on cancellation alone: on Python 3.11
        ``asyncio.wait_for`` returns normally when it is cancelled in the same loop iteration its
        inner future completes (a PubSub wake-up racing SIGTERM), and a swallowed cancel left the
        node running forever. Waiting uses ``asyncio.timeout``, which never swallows a cancel."""
        stop = stop or asyncio.Event()
        await self.check_registration()
        me = self.cfg.nodes[self.index]
        self.session = aiohttp.ClientSession()
        try:
            self.server = await peers.start_server(me.host, me.port,
                                                   self.index, self.keys.node.pubkey(), self.lookup, self.receive)
        except OSError as exc:
            await self.session.close()
            raise MxeStartError(f"node {self.index} cannot listen on {me.host}:{me.port}: {exc}") from None
        watcher = asyncio.create_task(self.watch())
        if self.runner is not None:
            await self.runner.warm_up()
        if ready is not None:
            ready.set()
        try:
            while not stop.is_set():
                try:
                    await self.drain()
                except Exception as exc:  # RPC hiccup: log and retry on the next wake-up
                    log.warning("drain failed: %s: %s", type(exc).__name__, exc)
                try:
                    async with asyncio.timeout(POLL_SECONDS):
                        await self.wake.wait()
                except TimeoutError:
                    pass
                self.wake.clear()
        finally:
            watcher.cancel()
            await asyncio.wait({watcher}, timeout=2)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                async with asyncio.timeout(2):
                    await self.server.cleanup()
                    await self.session.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                async with asyncio.timeout(2):
                    await self.client.close()
            if self.runner is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await self.runner.close()

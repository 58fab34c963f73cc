"""The MXE node process: watch the computation queue over RPC/PubSub, compute, deliver callbacks.

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

import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.models import MemcmpOpts, TxOpts
from solders.pubkey import Pubkey

from localnet.mxe import worker
from localnet.mxe.keys import NodeKeys
from protocol.base58 import b58encode
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID

log = logging.getLogger("anomi.mxe")
POLL_SECONDS = 1.0
CONFIRM_TIMEOUT = 20.0


class MxeStartError(Exception):
    """The cluster is unreachable or its MXE account does not carry this node's keys."""


class MxeNode:
    def __init__(self, keys: NodeKeys, rpc_url: str, ws_url: str) -> None:
        self.keys = keys
        self.rpc_url = rpc_url
        self.ws_url = ws_url
        self.client = AsyncClient(rpc_url, commitment=Confirmed, timeout=30)
        self.wake = asyncio.Event()
        self.delivered = 0
        # Computations whose callback (and Failure fallback) was refused, skipped until they expire.
        # Memory only: a restarted node retries them once, which is safe: recomputed from the
        # current state the result applies; a stale one aborts on-chain; a delivered one is refused.
        self.failed: set[Pubkey] = set()

    # -- start-up ------------------------------------------------------------------------
    async def check_registration(self) -> None:
        try:
            resp = await self.client.get_account_info(otc.OTC_ARCIUM.mxe)
        except Exception as exc:  # connection refused, timeout...
            raise MxeStartError(f"cannot reach the cluster at {self.rpc_url}: {exc}") from None
        if resp.value is None:
            raise MxeStartError(f"no MXE account at {otc.OTC_ARCIUM.mxe}; is this an ANOMI localnet?")
        keys = ac.mxe_keys(ac.decode_mxe(bytes(resp.value.data)))
        if keys != (self.keys.x25519_public, bytes(self.keys.node.pubkey())):
            raise MxeStartError("the MXE account's keys are not this node's (wrong ledger directory?)")

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
    async def handle(self, key: Pubkey, comp: dict, slot: int) -> None:
        if slot > comp["expires_slot"]:
            bh = (await self.client.get_latest_blockhash()).value.blockhash
            err = await self.send_and_confirm(worker.expire_transaction(self.keys, key, comp, bh))
            log.info("expired computation %s: %s", key, err or "ok")
            return
        if key in self.failed:
            return
        accounts = await self.read_accounts(comp)
        result = worker.compute(key, comp, accounts.get, self.keys)
        if result.rejected_reason:
            log.warning("computation %s (%s) rejected: %s", key, result.circuit, result.rejected_reason)
        bh = (await self.client.get_latest_blockhash()).value.blockhash
        err = await self.send_and_confirm(worker.callback_transaction(self.keys, result, comp, bh))
        if err is None:
            self.delivered += 1
            log.info("delivered %s for %s", result.circuit, key)
            return
        log.warning("callback for %s refused: %s", key, err)
        if "Success" in result.outputs:
            # The MXE program refused the result (e.g. its own checks): report a Failure instead.
            failed = worker.Result(key, result.circuit, ac.failure(ac.FAILURE_REJECTED), "callback refused")
            bh = (await self.client.get_latest_blockhash()).value.blockhash
            if await self.send_and_confirm(worker.callback_transaction(self.keys, failed, comp, bh)) is None:
                return
        self.failed.add(key)

    async def drain(self) -> None:
        """Process every Queued computation in queue order, re-listing after each."""
        while True:
            comps = await self.queued()
            slot = (await self.client.get_slot()).value
            todo = [(k, c) for k, c in comps if k not in self.failed or slot > c["expires_slot"]]
            if not todo:
                return
            await self.handle(*todo[0], slot)

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
        watcher = asyncio.create_task(self.watch())
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
                    await self.client.close()

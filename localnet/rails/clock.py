"""The rail's clock: wall time, but never behind the local cluster's Clock.

Why: on-chain checks compare the notary's timestamps with the cluster's Clock sysvar (a balance
attestation must be fresh; a payment receipt must not predate the match). The local cluster's
clock is wall time plus any warp a test or demo applied (`warp_clock`, used to reach 24-hour
expiries). A rail stamping plain wall time would then sign attestations that are already stale
and receipts that predate their match. So when the rail knows the cluster's RPC URL (the
`--cluster-rpc` flag, or ANOMI_RPC_URL which `anomi localnet up` sets for its services) it reads
the Clock sysvar about once a second and stamps wall time + max(0, cluster - wall). Without a
cluster, or while it is unreachable, the last known offset (initially 0) is kept.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import struct
import time

import aiohttp

CLOCK_SYSVAR = "SysvarC1ock11111111111111111111111111111111"
UNIX_TIMESTAMP_OFFSET = 32  # slot u64, epoch_start_timestamp i64, epoch u64, leader epoch u64
log = logging.getLogger("anomi.rails.clock")


class RailClock:
    def __init__(self, cluster_rpc: str | None = None) -> None:
        self.cluster_rpc = cluster_rpc
        self.offset = 0
        self.first_attempt = asyncio.Event()  # set after the first sync attempt (or at once)

    def now(self) -> int:
        return int(time.time()) + self.offset

    async def cluster_time(self, session: aiohttp.ClientSession) -> int:
        body = {"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo",
                "params": [CLOCK_SYSVAR, {"encoding": "base64"}]}
        async with session.post(self.cluster_rpc, json=body) as resp:
            reply = await resp.json(content_type=None)
        data = base64.b64decode(reply["result"]["value"]["data"][0])
        return struct.unpack_from("<q", data, UNIX_TIMESTAMP_OFFSET)[0]

    async def sync_once(self, session: aiohttp.ClientSession) -> None:
        cluster = await self.cluster_time(session)
        self.offset = max(0, cluster - int(time.time()))

    async def follow(self, interval: float = 1.0) -> None:
        """Track the cluster's clock until cancelled; errors keep the last offset."""
        if not self.cluster_rpc:
            self.first_attempt.set()
            return
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    await self.sync_once(session)
                except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError,
                        IndexError, ValueError, struct.error) as exc:
                    log.debug("cluster clock unavailable: %s", exc)
                self.first_attempt.set()
                await asyncio.sleep(interval)

"""How many of the MXE cluster's nodes are up ("MXE cluster: k of N nodes up"), from an RPC URL.

Why this works with only the RPC URL: N and each node's ed25519 callback key come from the chain
(the arcium program's ``Cluster`` account, decoded with ``protocol.arcium_codec.decode_cluster``):
that is the authority the programs check callbacks against, so the wallet counts exactly the nodes
whose signatures a result needs. The chain does not hold node addresses, so the addresses come from
the cluster's ``anomi_clusterInfo`` (``services.mxe``: the supervisor's ``/status``, which lists
each node's URL); for a loopback RPC URL whose cluster does not advertise one, the local
convention (node i on rpc_port + 20 + i, ``localnet/mxe/cluster.py``) is tried. Each node is then
asked ``GET /health`` directly and counts as up only if it answers with the ed25519 key the chain
registered for its index - so a stale status page or a stranger on the port never counts.

Why a thread: the poll runs on its own thread with its own short-lived event loop, every request
has a deadline (``NODE_TIMEOUT``) and the whole round another (``ROUND_TIMEOUT``), so a node that
is down, or a port that accepts and never answers, can neither hang nor slow the GUI thread.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

import aiohttp

from protocol import arcium_codec as ac
from protocol import arcium_encoding as enc

from .cluster import ClusterError, rpc_call

log = logging.getLogger(__name__)

NODE_TIMEOUT = 1.0    # one /health request
RPC_TIMEOUT = 2.0     # one JSON-RPC call
ROUND_TIMEOUT = 5.0   # a whole probe, whatever hangs
NODE_PORT_OFFSET = 20  # localnet/mxe/cluster.py: node i listens on rpc_port + 20 + i (loopback)
_ERRORS = (OSError, asyncio.TimeoutError, aiohttp.ClientError, ClusterError, ValueError, KeyError, TypeError)


@dataclass(frozen=True)
class NodeHealth:
    index: int
    ed25519: str
    url: str | None   # None: the wallet found no address for this node
    up: bool


@dataclass(frozen=True)
class MxeStatus:
    """One probe's outcome. ``total`` is None when the chain's Cluster account could not be read
    (then ``detail`` says why); ``up`` counts nodes that answered with their registered key."""
    up: int = 0
    total: int | None = None
    required: int = 0
    nodes: tuple[NodeHealth, ...] = field(default_factory=tuple)
    detail: str = ""

    @property
    def known(self) -> bool:
        return self.total is not None

    @property
    def healthy(self) -> bool:
        """Enough nodes to sign a result (a computation queued now can complete)."""
        return self.total is not None and self.total > 0 and self.up >= self.required

    @property
    def headline(self) -> str:
        if self.total is None:
            return f"MXE cluster: unknown ({self.detail})" if self.detail else "MXE cluster: unknown"
        return f"MXE cluster: {self.up} of {self.total} nodes up"


def _local_node_urls(rpc_url: str, count: int) -> dict[int, str]:
    parts = urlsplit(rpc_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") or parts.port is None:
        return {}
    return {i: f"http://127.0.0.1:{parts.port + NODE_PORT_OFFSET + i}" for i in range(count)}


async def _get_json(session: aiohttp.ClientSession, url: str, timeout: float) -> Any:
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
        if resp.status != 200:
            return None
        return await resp.json(content_type=None)


async def read_cluster_account(session: aiohttp.ClientSession, rpc_url: str,
                               cluster_offset: int = ac.LOCAL_CLUSTER_OFFSET) -> dict[str, Any] | None:
    """The decoded Cluster account (None when the chain has none at this offset)."""
    key = str(enc.cluster_pda(cluster_offset))
    value = await rpc_call(session, rpc_url, "getAccountInfo", [key, {"encoding": "base64"}], timeout=RPC_TIMEOUT)
    account = value.get("value") if isinstance(value, dict) else None
    if not account:
        return None
    return ac.decode_cluster(base64.b64decode(account["data"][0]))


async def node_urls(session: aiohttp.ClientSession, rpc_url: str, count: int) -> dict[int, str]:
    """index -> base URL of each node: the cluster's advertised MXE status page, else the loopback
    convention (empty when neither is known)."""
    try:
        info = await rpc_call(session, rpc_url, "anomi_clusterInfo", timeout=RPC_TIMEOUT)
        status_url = (info.get("services") or {}).get("mxe") if isinstance(info, dict) else None
        if status_url:
            page = await _get_json(session, status_url, NODE_TIMEOUT)
            urls = {int(n["index"]): str(n["url"]).rstrip("/") for n in (page or {}).get("nodes", [])}
            if urls:
                return urls
    except _ERRORS as exc:
        log.debug("no MXE status page from %s: %s", rpc_url, exc)
    return _local_node_urls(rpc_url, count)


async def _node_up(session: aiohttp.ClientSession, url: str | None, index: int, ed25519: str) -> bool:
    if url is None:
        return False
    try:
        reply = await _get_json(session, url + "/health", NODE_TIMEOUT)
    except _ERRORS:
        return False
    return isinstance(reply, dict) and reply.get("ed25519") == ed25519 and reply.get("index") == index


async def _probe(rpc_url: str, known_urls: dict[int, str]) -> tuple[MxeStatus, dict[int, str]]:
    async with aiohttp.ClientSession() as session:
        try:
            cluster = await read_cluster_account(session, rpc_url)
        except (OSError, asyncio.TimeoutError, aiohttp.ClientError):
            return MxeStatus(detail="the cluster's RPC node does not answer"), known_urls
        except _ERRORS as exc:
            return MxeStatus(detail=f"cannot read the Cluster account: {exc}"), known_urls
        if cluster is None:
            return MxeStatus(detail="this chain has no MXE cluster"), known_urls
        keys = [str(n["ed25519"]) for n in cluster["nodes"]]
        urls = known_urls if len(known_urls) >= len(keys) else await node_urls(session, rpc_url, len(keys))
        ups = await asyncio.gather(*(_node_up(session, urls.get(i), i, k) for i, k in enumerate(keys)))
        if not all(ups) and urls is known_urls:
            # a node may have moved (restarted on another port): look the addresses up again next round
            urls = {}
        nodes = tuple(NodeHealth(i, k, (urls or known_urls).get(i), u) for i, (k, u) in enumerate(zip(keys, ups)))
        return MxeStatus(sum(ups), len(keys), int(cluster["required_signatures"]), nodes), urls


async def probe(rpc_url: str, known_urls: dict[int, str] | None = None) -> tuple[MxeStatus, dict[int, str]]:
    """One probe, bounded by ROUND_TIMEOUT; returns the status and the node URLs to reuse."""
    try:
        return await asyncio.wait_for(_probe(rpc_url, dict(known_urls or {})), ROUND_TIMEOUT)
    except asyncio.TimeoutError:
        return MxeStatus(detail=f"no answer within {ROUND_TIMEOUT:.0f} s"), {}


def probe_blocking(rpc_url: str) -> MxeStatus:
    """One probe from synchronous code (a worker thread, a script)."""
    return asyncio.run(probe(rpc_url))[0]


class MxeStatusPoller:
    """Probes every ``interval`` seconds on a daemon thread and hands each MxeStatus to
    ``on_status`` (called on the poller's thread: a GUI must re-post it to its own thread)."""

    def __init__(self, rpc_url: str, on_status: Callable[[MxeStatus], None], interval: float = 2.0):
        self.rpc_url = rpc_url
        self.interval = interval
        self._on_status = on_status
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: MxeStatus | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mxe-status", daemon=True)
            self._thread.start()

    def poll_now(self) -> None:
        """Probe again without waiting for the interval."""
        self._wake.set()

    def stop(self, timeout: float = ROUND_TIMEOUT + 1.0) -> None:
        """Stop and wait for the thread (at most one round's deadline)."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        urls: dict[int, str] = {}
        try:
            while not self._stop.is_set():
                try:
                    status, urls = loop.run_until_complete(probe(self.rpc_url, urls))
                except Exception as exc:  # noqa: BLE001 - the poller must outlive any surprise
                    log.exception("MXE status probe failed")
                    status = MxeStatus(detail=f"probe failed: {exc}")
                if self._stop.is_set():
                    break
                self.last = status
                try:
                    self._on_status(status)
                except Exception:  # noqa: BLE001
                    log.exception("MXE status callback failed")
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

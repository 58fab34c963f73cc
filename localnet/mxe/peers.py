"""What MXE nodes say to each other: each pushes (and serves) its signature over its own result.

Why signatures travel between nodes and not through the chain: a callback needs
``required_signatures`` nodes' signatures over the same output bytes in ONE transaction (the
arcium program checks them all at once). Each node serves ``GET /result/<computation>`` with
(output hash, signature) once it has computed; whoever submits collects them, checks each against
the cluster config and counts only those over its own output hash. Signatures are pushed to
every peer as soon as they exist (``POST /signature``, so the submitter does not poll) and also
served (``GET``, for a peer that restarted and missed a push). A peer that sends garbage or
a different result is simply not counted, so its computation cannot reach the threshold and ends
through the expiry path: never a wrong accepted result.

``GET /health`` answers whether the node process is up (the cluster status the wallet shows).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from solders.pubkey import Pubkey

from localnet.mxe.cluster import ClusterConfig, NodeInfo
from protocol import arcium_codec as ac

log = logging.getLogger("anomi.mxe")
PEER_TIMEOUT = 1.0

# computation -> (output_hash, signature) of this node, or None
SignatureLookup = Callable[[Pubkey], tuple[bytes, bytes] | None]


# (computation, sender index, output_hash, signature) -> None; the receiver verifies before storing
SignatureSink = Callable[[Pubkey, int, bytes, bytes], None]


async def start_server(host: str, port: int, index: int, node: Pubkey, lookup: SignatureLookup,
                       sink: SignatureSink | None = None) -> web.AppRunner:
    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"index": index, "ed25519": str(node)})

    async def result(request: web.Request) -> web.Response:
        try:
            key = Pubkey.from_string(request.match_info["computation"])
        except ValueError:
            return web.json_response({"error": "bad computation address"}, status=400)
        found = lookup(key)
        if found is None:
            return web.json_response({"error": "not computed"}, status=404)
        output_hash, signature = found
        return web.json_response({"index": index, "output_hash": output_hash.hex(), "signature": signature.hex()})

    async def pushed(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            key = Pubkey.from_string(body["computation"])
            sender, output_hash, signature = int(body["index"]), bytes.fromhex(body["output_hash"]), \
                bytes.fromhex(body["signature"])
        except (KeyError, TypeError, ValueError):
            return web.json_response({"error": "malformed"}, status=400)
        if sink is not None:
            sink(key, sender, output_hash, signature)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=4096)
    app.router.add_get("/health", health)
    app.router.add_get("/result/{computation}", result)
    app.router.add_post("/signature", pushed)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def verify_peer(peer: NodeInfo, computation: Pubkey, reply: object, want_hash: bytes) -> bytes | None:
    """The peer's signature if ``reply`` is a valid signature of ``peer`` over ``want_hash``."""
    try:
        output_hash = bytes.fromhex(reply["output_hash"])  # type: ignore[index]
        signature = bytes.fromhex(reply["signature"])      # type: ignore[index]
        if reply["index"] != peer.index or len(signature) != 64:  # type: ignore[index]
            return None
        VerifyKey(bytes(peer.ed25519)).verify(ac.callback_message_for_hash(computation, output_hash), signature)
    except (KeyError, TypeError, ValueError, BadSignatureError):
        log.warning("node %d sent a malformed or forged signature for %s", peer.index, computation)
        return None
    if output_hash != want_hash:
        log.warning("node %d computed different outputs for %s", peer.index, computation)
        return None
    return signature


async def fetch(session: aiohttp.ClientSession, peer: NodeInfo, path: str) -> object | None:
    try:
        async with session.get(peer.url + path, timeout=aiohttp.ClientTimeout(total=PEER_TIMEOUT)) as resp:
            if resp.status != 200:
                return None
            return await resp.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError, OSError):
        return None


async def push(session: aiohttp.ClientSession, cfg: ClusterConfig, me: int, computation: Pubkey,
               output_hash: bytes, signature: bytes) -> None:
    """Send our signature to every peer (best effort: a down peer fetches it with GET later)."""
    body = {"computation": str(computation), "index": me, "output_hash": output_hash.hex(),
            "signature": signature.hex()}

    async def one(peer: NodeInfo) -> None:
        try:
            async with session.post(peer.url + "/signature", json=body,
                                    timeout=aiohttp.ClientTimeout(total=PEER_TIMEOUT)) as resp:
                await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass

    await asyncio.gather(*(one(p) for p in cfg.nodes if p.index != me))


async def gather_signatures(session: aiohttp.ClientSession, cfg: ClusterConfig, me: int, computation: Pubkey,
                            want_hash: bytes) -> dict[int, bytes]:
    """Valid peer signatures over ``want_hash`` (index -> signature), from every peer that has one."""
    peers = [p for p in cfg.nodes if p.index != me]
    replies = await asyncio.gather(*(fetch(session, p, f"/result/{computation}") for p in peers))
    out = {}
    for peer, reply in zip(peers, replies):
        if reply is not None:
            sig = verify_peer(peer, computation, reply, want_hash)
            if sig is not None:
                out[peer.index] = sig
    return out


async def nodes_up(cfg: ClusterConfig) -> list[bool]:
    """Which nodes answer /health with their registered key."""
    async with aiohttp.ClientSession() as session:
        replies = await asyncio.gather(*(fetch(session, n, "/health") for n in cfg.nodes))
    return [isinstance(r, dict) and r.get("ed25519") == str(n.ed25519) for n, r in zip(cfg.nodes, replies)]

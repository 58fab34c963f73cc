"""The HTTP face of the JSON-RPC API (aiohttp, 127.0.0.1).

Why aiohttp's low-level server: there is exactly one endpoint (POST any path) plus
``GET /health``, so a router adds nothing but per-request cost. The 50 kB body cap is Agave's
``MAX_REQUEST_BODY_SIZE``; the reply is JSON-RPC even for an oversized body, with HTTP 413.
"""
from __future__ import annotations

import logging

from aiohttp import web

from localnet.rpc.context import RpcContext
from localnet.rpc.dispatch import dumps, error_reply, handle_body
from localnet.rpc.errors import invalid_request

MAX_REQUEST_BODY_SIZE = 50 * (1 << 10)
_JSON = "application/json"
log = logging.getLogger("localnet.rpc")


async def _read_capped(request: web.BaseRequest) -> bytes | None:
    if request.content_length is not None and request.content_length > MAX_REQUEST_BODY_SIZE:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REQUEST_BODY_SIZE:
            return None
        chunks.append(chunk)


def make_handler(ctx: RpcContext):
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "GET":
            if request.path == "/health":
                return web.Response(text="ok")
            return web.Response(status=405, text="use POST with a JSON-RPC body")
        if request.method == "OPTIONS":  # browser pre-flight (CORS), as Agave allows any origin
            return web.Response(headers={"Access-Control-Allow-Origin": "*",
                                         "Access-Control-Allow-Headers": "*",
                                         "Access-Control-Allow-Methods": "POST, GET, OPTIONS"})
        if request.method != "POST":
            return web.Response(status=405, text="use POST with a JSON-RPC body")
        body = await _read_capped(request)
        if body is None:
            err = invalid_request(f"Request body too large: max {MAX_REQUEST_BODY_SIZE} bytes")
            return web.Response(status=413, body=dumps(error_reply(err)), content_type=_JSON)
        reply = await handle_body(ctx, body)
        return web.Response(body=reply, content_type=_JSON,
                            headers={"Access-Control-Allow-Origin": "*"})
    return handler


# How long a stop waits for requests in flight (aiohttp's default is 60 s: a client that died
# mid-request, e.g. a test's wallet, held `localnet up` for a minute after SIGTERM).
SHUTDOWN_GRACE = 2.0


async def start_http(ctx: RpcContext, host: str, port: int) -> tuple[web.BaseRunner, int]:
    """Start listening; returns the runner (for cleanup) and the bound port."""
    server = web.Server(make_handler(ctx), access_log=None)
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, bound

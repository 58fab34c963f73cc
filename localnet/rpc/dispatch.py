"""JSON-RPC 2.0 envelope handling: single and batch requests, ids, error replies.

Why strict here: a reply's ``id`` must echo the request's id with its JSON type (web3.js
validates ``id: string()``), errors go out with HTTP 200, and no input whatsoever (garbage
bytes, wrong types, absurd numbers) may raise out of this module: everything becomes a JSON-RPC
error and the server keeps serving.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import orjson

from localnet.rpc import methods_accounts, methods_cluster, methods_tx
from localnet.rpc.context import Handler, RpcContext
from localnet.rpc.errors import RpcError, internal_error, invalid_request, method_not_found, parse_error

log = logging.getLogger("localnet.rpc")

METHODS: dict[str, Handler] = {**methods_cluster.METHODS, **methods_accounts.METHODS, **methods_tx.METHODS}

_NOTIFICATION = object()


def loads(body: bytes) -> Any:
    """orjson for speed; the stdlib for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # e.g. an echoed id beyond 64 bits
        return json.dumps(value, separators=(",", ":")).encode()


def _valid_id(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool)


def error_reply(err: RpcError, rid: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": err.to_json(), "id": rid}


async def call_method(ctx: RpcContext, method: str, params: Any) -> Any:
    handler = METHODS.get(method)
    if handler is None:
        raise method_not_found()
    return await handler(ctx, params)


async def handle_request(ctx: RpcContext, req: Any) -> Any:
    """One request object -> reply dict, or ``_NOTIFICATION`` when it needs no reply."""
    if not isinstance(req, dict):
        return error_reply(invalid_request())
    has_id = "id" in req
    rid = req.get("id")
    if not _valid_id(rid):
        return error_reply(invalid_request())
    method = req.get("method")
    params = req.get("params")
    if req.get("jsonrpc") != "2.0" or not isinstance(method, str) or (
            params is not None and not isinstance(params, (list, dict))):
        return error_reply(invalid_request(), rid)
    try:
        result = await call_method(ctx, method, params)
    except RpcError as exc:
        reply = error_reply(exc, rid)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug must not take the server down; report it to the caller
        log.exception("internal error in %s", method)
        reply = error_reply(internal_error(type(exc).__name__ + ": " + str(exc)), rid)
    else:
        reply = {"jsonrpc": "2.0", "result": result, "id": rid}
    return reply if has_id else _NOTIFICATION


async def handle_body(ctx: RpcContext, body: bytes) -> bytes:
    """Raw HTTP body -> raw reply body (``b""`` when everything was a notification)."""
    try:
        payload = loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return dumps(error_reply(parse_error()))
    if isinstance(payload, list):
        if not payload:
            return dumps(error_reply(invalid_request()))
        # Concurrent so that a batch of sendTransaction calls lands in one group commit.
        replies = await asyncio.gather(*(handle_request(ctx, r) for r in payload))
        out = [r for r in replies if r is not _NOTIFICATION]
        return dumps(out) if out else b""
    reply = await handle_request(ctx, payload)
    return b"" if reply is _NOTIFICATION else dumps(reply)

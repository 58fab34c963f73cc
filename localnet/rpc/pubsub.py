"""PubSub over WebSocket (RPC port + 1): account, program, logs, signature, slot and root
subscriptions with Agave's notification shapes (shared/solana/FACTS.md §2).

Why the split between threads: the Bank calls ``listener`` on its worker thread right after a
commit. The listener only checks, with plain dict lookups, whether anybody could care, and
queues interesting events; one task on the event loop encodes and sends them in commit order.
With no subscribers (the benchmark) the cost per committed transaction is a few lookups.
"""
from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from solders.pubkey import Pubkey
from solders.signature import Signature

from localnet.rpc import params as P
from localnet.rpc.context import RpcContext
from localnet.rpc.dispatch import dumps, error_reply, loads
from localnet.rpc.encoders import empty_account_json, encode_account
from localnet.rpc.errors import (
    RpcError, invalid_params, invalid_request, method_not_found, params_deserialize_error, parse_error,
)
from localnet.rpc.methods_accounts import decimals_lookup

log = logging.getLogger("localnet.pubsub")
MAX_SUBSCRIPTIONS_PER_CONNECTION = 10_000


@dataclass(eq=False)
class Sub:
    id: int
    kind: str
    conn: "Connection"
    key: Any = None                 # Pubkey / Signature / mention Pubkey
    encoding: str = "binary"
    data_slice: Any = None
    filters: Any = None
    received: bool = False


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    subs: set[int] = field(default_factory=set)
    closed: bool = False

    async def send(self, payload: bytes) -> None:
        if self.closed:
            return
        try:
            await self.ws.send_str(payload.decode())
        except (ConnectionError, RuntimeError):
            self.closed = True


def _note(method: str, sub_id: int, result: Any) -> bytes:
    return dumps({"jsonrpc": "2.0", "method": method, "params": {"result": result, "subscription": sub_id}})


class PubSub:
    def __init__(self, ctx: RpcContext, loop: asyncio.AbstractEventLoop) -> None:
        self.ctx = ctx
        self._loop = loop
        self._next_id = 0
        self.subs: dict[int, Sub] = {}
        self._by_account: dict[Pubkey, set[int]] = {}
        self._by_program: dict[Pubkey, set[int]] = {}
        self._by_signature: dict[Signature, set[int]] = {}
        self._logs: set[int] = set()
        self._slots: set[int] = set()
        self._roots: set[int] = set()
        self._events: collections.deque = collections.deque()
        self._wake = asyncio.Event()
        self._connections: set[Connection] = set()
        self._task = loop.create_task(self._pump(), name="pubsub-pump")
        self._last_root = -1

    # ------------------------------------------------------------ Bank side (worker thread)
    def listener(self, event: Any) -> None:
        kind = type(event).__name__
        if kind == "AccountEvent":
            if event.pubkey not in self._by_account and not (
                    self._by_program and event.account is not None and event.account.owner in self._by_program):
                return
        elif kind == "TransactionEvent":
            if not self._logs and event.signature not in self._by_signature:
                return
        elif kind == "SlotEvent":
            if not self._slots and not self._roots:
                return
        else:
            return
        self._events.append(event)
        self._loop.call_soon_threadsafe(self._wake.set)

    # ------------------------------------------------------------ event loop side
    def on_received(self, signature: Signature) -> None:
        for sid in list(self._by_signature.get(signature, ())):
            sub = self.subs.get(sid)
            if sub is not None and sub.received:
                asyncio.ensure_future(sub.conn.send(_note(
                    "signatureNotification", sid,
                    {"context": {"slot": self.ctx.bank.slot}, "value": "receivedSignature"})))

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._events:
                event = self._events.popleft()
                try:
                    await self._deliver(event)
                except Exception:  # one bad event must not stop notifications
                    log.exception("pubsub delivery failed")

    async def _encode(self, sub: Sub, account: Any) -> dict[str, Any]:
        if account is None:
            return empty_account_json(sub.encoding)
        if sub.encoding == "jsonParsed":
            bank = self.ctx.bank
            return await self.ctx.run(lambda: encode_account(account, "jsonParsed", sub.data_slice,
                                                             decimals_lookup(bank)))
        try:
            return encode_account(account, sub.encoding, sub.data_slice)
        except RpcError:  # base58 of > 128 bytes: Agave falls back to base64 in notifications
            return encode_account(account, "base64", sub.data_slice)

    async def _deliver(self, event: Any) -> None:
        kind = type(event).__name__
        if kind == "AccountEvent":
            ctx = {"slot": event.slot}
            for sid in list(self._by_account.get(event.pubkey, ())):
                sub = self.subs.get(sid)
                if sub is not None:
                    value = await self._encode(sub, event.account)
                    await sub.conn.send(_note("accountNotification", sid, {"context": ctx, "value": value}))
            acc = event.account
            if acc is not None and acc.owner in self._by_program:
                for sid in list(self._by_program.get(acc.owner, ())):
                    sub = self.subs.get(sid)
                    if sub is not None and (sub.filters is None or sub.filters.matches(acc.data)):
                        value = {"pubkey": str(event.pubkey), "account": await self._encode(sub, acc)}
                        await sub.conn.send(_note("programNotification", sid, {"context": ctx, "value": value}))
        elif kind == "TransactionEvent":
            ctx = {"slot": event.slot}
            for sid in list(self._by_signature.get(event.signature, ())):
                sub = self.subs.get(sid)
                if sub is not None:
                    self._remove(sid)  # one-shot, as Agave
                    await sub.conn.send(_note("signatureNotification", sid,
                                              {"context": ctx, "value": {"err": event.err}}))
            if self._logs:
                value = {"signature": str(event.signature), "err": event.err, "logs": list(event.logs)}
                mentioned = event.mentioned
                for sid in list(self._logs):
                    sub = self.subs.get(sid)
                    if sub is not None and (sub.key is None or sub.key in mentioned):
                        await sub.conn.send(_note("logsNotification", sid, {"context": ctx, "value": value}))
        elif kind == "SlotEvent":
            info = {"parent": event.parent, "root": event.root, "slot": event.slot}
            for sid in list(self._slots):
                sub = self.subs.get(sid)
                if sub is not None:
                    await sub.conn.send(_note("slotNotification", sid, info))
            if event.root != self._last_root:
                self._last_root = event.root
                for sid in list(self._roots):
                    sub = self.subs.get(sid)
                    if sub is not None:
                        await sub.conn.send(_note("rootNotification", sid, event.root))

    # ------------------------------------------------------------ subscription bookkeeping
    def _add(self, sub: Sub) -> None:
        self.subs[sub.id] = sub
        sub.conn.subs.add(sub.id)
        index = {"account": self._by_account, "program": self._by_program, "signature": self._by_signature}
        if sub.kind in index:
            index[sub.kind].setdefault(sub.key, set()).add(sub.id)
        elif sub.kind == "logs":
            self._logs.add(sub.id)
        elif sub.kind == "slot":
            self._slots.add(sub.id)
        elif sub.kind == "root":
            self._roots.add(sub.id)

    def _remove(self, sid: int) -> Sub | None:
        sub = self.subs.pop(sid, None)
        if sub is None:
            return None
        sub.conn.subs.discard(sid)
        index = {"account": self._by_account, "program": self._by_program, "signature": self._by_signature}
        if sub.kind in index:
            ids = index[sub.kind].get(sub.key)
            if ids is not None:
                ids.discard(sid)
                if not ids:
                    del index[sub.kind][sub.key]
        for group in (self._logs, self._slots, self._roots):
            group.discard(sid)
        return sub

    def _new_sub(self, conn: Connection, kind: str, **kw: Any) -> Sub:
        if len(conn.subs) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise RpcError(-32603, "Internal Error: Subscription refused. Node subscription limit reached")
        sub = Sub(self._next_id, kind, conn, **kw)
        self._next_id += 1
        return sub

    async def _subscribe(self, conn: Connection, method: str, params: Any) -> tuple[Sub, Any]:
        """Parse a *Subscribe request; returns the new subscription and an optional follow-up."""
        if method == "accountSubscribe":
            key, cfg = P.positional(params, 1, 2)
            pubkey = _ps_key(key, "pubkey")
            cfg = P.config(cfg)
            P.commitment(cfg)
            return self._new_sub(conn, "account", key=pubkey, encoding=P.account_encoding(cfg, "binary"),
                                 data_slice=P.data_slice(cfg)), None
        if method == "programSubscribe":
            key, cfg = P.positional(params, 1, 2)
            program = _ps_key(key, "pubkey")
            cfg = P.config(cfg)
            P.commitment(cfg)
            flt = P.filters(cfg.get("filters"))
            return self._new_sub(conn, "program", key=program, encoding=P.account_encoding(cfg, "binary"),
                                 data_slice=P.data_slice(cfg), filters=flt), None
        if method == "logsSubscribe":
            flt, cfg = P.positional(params, 1, 2)
            P.commitment(P.config(cfg))
            if flt in ("all", "allWithVotes"):
                mention = None
            elif isinstance(flt, dict) and isinstance(flt.get("mentions"), list):
                if len(flt["mentions"]) != 1:
                    raise invalid_params("Invalid Request: Only 1 address supported")
                mention = _ps_key(flt["mentions"][0], "mentions")
            else:
                raise params_deserialize_error(
                    'unknown variant, expected `all`, `allWithVotes` or `{"mentions": [<pubkey>]}`')
            return self._new_sub(conn, "logs", key=mention), None
        if method == "signatureSubscribe":
            key, cfg = P.positional(params, 1, 2)
            sig = _ps_key(key, "signature")
            cfg = P.config(cfg)
            P.commitment(cfg)
            received = cfg.get("enableReceivedNotification")
            received = False if received is None else P.expect_bool(received)
            return self._new_sub(conn, "signature", key=sig, received=received), sig
        if method in ("slotSubscribe", "rootSubscribe"):
            P.positional(params, 0, 0)
            return self._new_sub(conn, method.removesuffix("Subscribe")), None
        raise method_not_found()

    async def _answer(self, conn: Connection, req: Any) -> None:
        if not isinstance(req, dict):
            await conn.send(dumps(error_reply(invalid_request())))
            return
        method = req.get("method")
        rid = req.get("id")
        if method == "ping" or (method is not None and "id" not in req):
            return  # web3.js keep-alive ping and other notifications need no reply
        if req.get("jsonrpc") != "2.0" or not isinstance(method, str) or not (
                rid is None or isinstance(rid, (str, int, float)) and not isinstance(rid, bool)):
            await conn.send(dumps(error_reply(invalid_request(), rid if isinstance(rid, (str, int)) else None)))
            return
        params = req.get("params")
        try:
            if method.endswith("Unsubscribe"):
                (sid,) = P.positional(params, 1, 1)
                sub = self.subs.get(sid) if isinstance(sid, int) and not isinstance(sid, bool) else None
                if sub is None or sub.conn is not conn or sub.kind != method.removesuffix("Unsubscribe"):
                    raise invalid_params("Invalid subscription id.")
                self._remove(sid)
                await conn.send(dumps({"jsonrpc": "2.0", "result": True, "id": rid}))
                return
            sub, sig = await self._subscribe(conn, method, params)
        except RpcError as exc:
            await conn.send(dumps(error_reply(exc, rid)))
            return
        self._add(sub)
        await conn.send(dumps({"jsonrpc": "2.0", "result": sub.id, "id": rid}))
        if sig is not None:  # already processed? notify at once (and end the one-shot)
            bank = self.ctx.bank
            status = (await self.ctx.run(lambda: bank.get_signature_statuses([sig])))[0]
            if status is not None and sub.id in self.subs:
                self._remove(sub.id)
                await conn.send(_note("signatureNotification", sub.id,
                                      {"context": {"slot": status.slot}, "value": {"err": status.err}}))

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=400, text="WebSocket endpoint: use the JSON-RPC PubSub API")
        ws = web.WebSocketResponse(max_msg_size=1 << 20, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws)
        self._connections.add(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
                    await self._on_message(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            conn.closed = True
            self._connections.discard(conn)
            for sid in list(conn.subs):
                self._remove(sid)
        return ws

    async def _on_message(self, conn: Connection, data: str | bytes) -> None:
        try:
            payload = loads(data.encode() if isinstance(data, str) else data)
        except (ValueError, UnicodeDecodeError, RecursionError):
            await conn.send(dumps(error_reply(parse_error())))
            return
        for req in payload if isinstance(payload, list) and payload else [payload]:
            try:
                await self._answer(conn, req)
            except Exception:
                log.exception("pubsub request failed")
                await conn.send(dumps(error_reply(RpcError(-32603, "Internal error"), None)))

    async def close(self) -> None:
        self._task.cancel()
        for conn in list(self._connections):
            conn.closed = True
            await conn.ws.close()


def _ps_key(value: Any, what: str) -> Any:
    """Agave's pubsub wording: ``Invalid Request: Invalid pubkey provided``."""
    try:
        return P.signature(value) if what == "signature" else P.pubkey(value)
    except RpcError:
        raise invalid_params(f"Invalid Request: Invalid {what} provided") from None


async def start_pubsub(pubsub: PubSub, host: str, port: int) -> tuple[web.BaseRunner, int]:
    server = web.Server(pubsub.handle, access_log=None)
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

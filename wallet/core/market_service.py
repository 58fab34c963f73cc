"""Live order book, my orders and the settlement queue, published as core events.

Why snapshot + accountSubscribe: the first view comes from getMultipleAccounts (book sides and
the queue); every later change arrives as an accountSubscribe notification carrying the whole
account, decoded with the same protocol codecs. A slow poll underneath covers a dropped WebSocket
and advances the queue's countdowns with the cluster clock. The GUI's bridge re-emits the events
as Qt signals; nothing here blocks the event loop.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

import aiohttp
import websockets
from solders.pubkey import Pubkey

from .chain import NETWORK_ERRORS, Chain, ChainError
from .events import EventBus
from .market_client import (
    BookOrder, BookSnapshot, MarketClient, MatchedOrderView, book_orders, queue_records)
from .service_tasks import cancel_and_wait
from .trade_events import MARKET_CHANGING

log = logging.getLogger(__name__)
POLL_WARN_EVERY = 30


@dataclass(frozen=True)
class BookUpdated:
    book: BookSnapshot


@dataclass(frozen=True)
class MyOrdersUpdated:
    owner: str
    orders: list[BookOrder]


@dataclass(frozen=True)
class QueueUpdated:
    """Every record; `mine` are those where the watched owner is buyer or seller."""
    records: list[MatchedOrderView]
    mine: list[MatchedOrderView]


BIG_MESSAGE = 64 * 1024
SUBSCRIBED_POLL = 30.0   # seconds between safety-net polls while the live stream is up


def _notification(raw: str | bytes, by_sub: dict[int, Pubkey]) -> tuple[Pubkey | None, bytes | None]:
    msg = json.loads(raw)
    params = msg.get("params") or {}
    key = by_sub.get(params.get("subscription"))
    value = (params.get("result") or {}).get("value")
    if key is None or not value:
        return None, None
    return key, base64.b64decode(value["data"][0])


def _multiple_accounts(raw: bytes) -> list[bytes | None]:
    doc = json.loads(raw)
    if "error" in doc:
        raise ChainError(f"cannot read the market's accounts: {doc['error'].get('message', doc['error'])}")
    return [None if v is None else base64.b64decode(v["data"][0]) for v in doc["result"]["value"]]


async def subscribe_accounts(ws_url: str, keys: list[Pubkey],
                             on_data: Callable[[Pubkey, bytes], Awaitable[None] | None],
                             ready: asyncio.Event | None = None) -> None:
    """accountSubscribe to `keys` (base64, confirmed) and call on_data per notification until
    cancelled. Raises on connection loss (the caller reconnects)."""
    async with websockets.connect(ws_url, max_size=None) as ws:
        by_sub: dict[int, Pubkey] = {}
        for i, key in enumerate(keys):
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i + 1, "method": "accountSubscribe",
                                      "params": [str(key), {"encoding": "base64",
                                                            "commitment": "confirmed"}]}))
        pending = {i + 1: k for i, k in enumerate(keys)}
        while pending:
            msg = json.loads(await ws.recv())
            if msg.get("id") in pending:
                by_sub[int(msg["result"])] = pending.pop(msg["id"])
        if ready is not None:
            ready.set()
        async for raw in ws:
            # a book account is ~1.5 MB of base64: parse big notifications on a worker thread
            if len(raw) > BIG_MESSAGE:
                key, data = await asyncio.to_thread(_notification, raw, by_sub)
            else:
                key, data = _notification(raw, by_sub)
            if key is None or data is None:
                continue
            result = on_data(key, data)
            if asyncio.iscoroutine(result):
                await result


class MarketService:
    """Publishes BookUpdated, MyOrdersUpdated and QueueUpdated on `bus`.

    Never ConnectionChanged: the BalanceService is the one source of connection state (it
    publishes both directions). This service used to publish only `False` on a stream failure,
    which left the indicator "offline" after the cluster came back; a market stream failure is
    logged and retried here, and the safety-net poll keeps the book fresh meanwhile."""

    def __init__(self, chain: Chain, bus: EventBus, *, owner: Pubkey | None = None,
                 poll_interval: float = 5.0):
        self.chain = chain
        self.market = MarketClient(chain)
        self.bus = bus
        self.owner = owner
        self.poll_interval = poll_interval
        self.book = BookSnapshot([], [])
        self.records: list[MatchedOrderView] = []
        self._raw: dict[str, bytes | None] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self.subscribed = asyncio.Event()
        self._publishing = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None   # the book reads (_read_accounts)
        self._refreshing: set[asyncio.Task[None]] = set()   # refreshes after this wallet's trades
        self._decoded: tuple[bytes | None, bytes | None] | None = None   # the raw books self.book is from

    async def refresh(self) -> None:
        addr = await self.market.addresses()
        bids, asks, queue = await self._read_accounts([addr["bids"], addr["asks"], addr["settlement_queue"]])
        self._raw = {"bids": bids, "asks": asks, "settlement_queue": queue}
        await self._publish_all()

    async def _read_accounts(self, keys: list[Pubkey]) -> list[bytes | None]:
        """getMultipleAccounts with the ~4 MB reply (two 12,288-order books in base64) decoded on a
        worker thread: the JSON-RPC client would parse it on the event loop (tens of ms)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        body = {"jsonrpc": "2.0", "id": 1, "method": "getMultipleAccounts",
                "params": [[str(k) for k in keys], {"encoding": "base64", "commitment": "confirmed"}]}
        async with self._http.post(self.chain.profile.rpc_url, json=body,
                                   timeout=aiohttp.ClientTimeout(total=30)) as reply:
            raw = await reply.read()
        return await asyncio.to_thread(_multiple_accounts, raw)

    async def _publish_all(self) -> None:
        # decoding a deep book (10,000 orders: tens of ms) runs on a worker thread, so the GUI's
        # event loop (qasync runs this service on the GUI thread) keeps painting meanwhile; the
        # lock publishes snapshots in the order they were taken
        async with self._publishing:
            bids, asks = self._raw.get("bids"), self._raw.get("asks")
            if (bids, asks) != self._decoded:   # a poll that finds the same bytes decodes nothing
                self.book = await asyncio.to_thread(lambda: BookSnapshot(book_orders(bids), book_orders(asks)))
                self._decoded = (bids, asks)
            await self._publish_rest()

    async def _publish_rest(self) -> None:
        self.bus.publish(BookUpdated(self.book))
        if self.owner is not None:
            self.bus.publish(MyOrdersUpdated(str(self.owner), self.my_orders()))
        self.records = await self.market.with_bonds(
            queue_records(self._raw.get("settlement_queue"), await self.chain.unix_time()))
        self.bus.publish(QueueUpdated(self.records, self.my_records()))

    def set_owner(self, owner: Pubkey) -> None:
        """Follow another owner's orders and records ("mine"), republished at once from the
        last snapshot (the GUI's selected account changed)."""
        self.owner = owner
        if self._raw:
            self.bus.publish(MyOrdersUpdated(str(owner), self.my_orders()))
            self.bus.publish(QueueUpdated(self.records, self.my_records()))

    def my_orders(self) -> list[BookOrder]:
        me = str(self.owner)
        return [o for o in self.book.bids + self.book.asks if o.owner == me]

    def my_records(self) -> list[MatchedOrderView]:
        me = str(self.owner)
        return [r for r in self.records if me in (r.buyer, r.seller)]

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.refresh()
        self._tasks = [asyncio.ensure_future(self._stream_loop()),
                       asyncio.ensure_future(self._poll_loop())]
        # an action of this wallet changed the market: show it now, not at the next notification
        self._unsubscribe = [self.bus.subscribe(kind, self._on_trade) for kind in MARKET_CHANGING]

    async def stop(self) -> None:
        for off in self._unsubscribe:
            off()
        self._unsubscribe = []
        await cancel_and_wait(self._tasks + [t for t in self._refreshing if t is not asyncio.current_task()])
        self._tasks = []
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _on_trade(self, _event: object) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._refreshing.add(task)   # stop() waits for it: no refresh outlives the service
        try:
            await self.refresh()
        except NETWORK_ERRORS + (ChainError,) as exc:
            log.warning("market refresh after a trade failed: %s", exc)
        finally:
            self._refreshing.discard(task)

    async def _on_account(self, key: Pubkey, data: bytes) -> None:
        addr = await self.market.addresses()
        for name in ("bids", "asks", "settlement_queue"):
            if addr[name] == key:
                self._raw[name] = data
        await self._publish_all()

    async def _stream_loop(self) -> None:
        addr = await self.market.addresses()
        keys = [addr["bids"], addr["asks"], addr["settlement_queue"]]
        failures = 0  # consecutive: the first of a streak is a warning, the retries debug
        while True:
            try:
                await subscribe_accounts(self.chain.profile.ws_url, keys, self._on_account,
                                         self.subscribed)
                failures = 0
            except asyncio.CancelledError:
                raise
            except (websockets.WebSocketException, ValueError, KeyError, ChainError) + NETWORK_ERRORS as exc:
                if self.subscribed.is_set():
                    failures = 0   # it was up: this is a new streak
                self.subscribed.clear()
                failures += 1
                log.log(logging.WARNING if failures == 1 else logging.DEBUG,
                        "market stream to %s ended (%s); retrying, polling meanwhile",
                        self.chain.profile.ws_url, exc or type(exc).__name__)
            await asyncio.sleep(1.0)

    async def _poll_loop(self) -> None:
        """A safety net under the live stream: every `poll_interval` while the stream is down,
        every SUBSCRIBED_POLL s while it is up (a deep book is megabytes per read)."""
        failures = 0  # consecutive: the first of a streak (and every 30th) is a warning, not each
        last = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(self.poll_interval)
            now = asyncio.get_running_loop().time()
            if self.subscribed.is_set() and now - last < SUBSCRIBED_POLL:
                continue
            last = now
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except NETWORK_ERRORS + (ChainError,) as exc:
                failures += 1
                if failures % POLL_WARN_EVERY == 1:
                    log.warning("market poll failed (%d in a row): %s", failures, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a bad account must not kill the service
                failures += 1
                log.warning("market poll: %s: %s", type(exc).__name__, exc, exc_info=failures == 1)
                continue
            if failures:
                log.info("market poll recovered after %d failure(s)", failures)
                failures = 0

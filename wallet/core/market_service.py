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
import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, cast

import aiohttp
import websockets
from solana.rpc.commitment import Confirmed
from solana.rpc.websocket_api import SolanaWsClient
from solders.pubkey import Pubkey
from solders.rpc.responses import AccountNotification

from .chain import NETWORK_ERRORS, Chain, ChainError
from .events import EventBus
from .network_words import describe_network_error
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


SUBSCRIBED_POLL = 30.0   # seconds between safety-net polls while the live stream is up


def _multiple_accounts(raw: bytes) -> list[bytes | None]:
    doc = json.loads(raw)
    if "error" in doc:
        raise ChainError(f"cannot read the market's accounts: {doc['error'].get('message', doc['error'])}")
    return [None if v is None else base64.b64decode(v["data"][0]) for v in doc["result"]["value"]]


async def subscribe_accounts(ws_url: str, keys: list[Pubkey],
                             on_data: Callable[[Pubkey, bytes], Awaitable[None] | None],
                             ready: asyncio.Event | None = None) -> None:
    """accountSubscribe to `keys` (base64, confirmed) and call on_data per notification until
    cancelled. Raises ChainError on connection loss (the caller reconnects).

    The subscription is solana-py's SolanaWsClient (as balances.py uses), run on a worker
    thread's own event loop: it parses each notification where it runs, and a book account is
    ~1.5 MB of base64 JSON (~10 ms to parse, measured), while this service runs on the GUI
    thread. Accounts come back over a queue; `on_data` runs on the caller's loop."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    def put(kind: str, item: object) -> None:
        try:
            loop.call_soon_threadsafe(inbox.put_nowait, (kind, item))
        except RuntimeError:   # the caller's loop closed first: nobody is listening
            pass

    async def pump() -> None:
        try:
            async with SolanaWsClient(ws_url, max_size=None) as ws:
                by_sub: dict[int, Pubkey] = {}
                for key in keys:
                    sub = await ws.account_subscribe(pubkey=key, commitment=Confirmed, encoding="base64")
                    by_sub[sub.subscription_id] = key
                put("ready", None)
                async for note in ws:
                    if isinstance(note, AccountNotification) and note.subscription in by_sub:
                        put("data", (by_sub[note.subscription], bytes(note.result.value.data)))
            put("end", ChainError(f"the market stream at {ws_url} closed"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure ends this stream; the caller retries
            put("end", ChainError(f"market stream at {ws_url}: {exc or type(exc).__name__}"))

    worker = asyncio.new_event_loop()
    thread = threading.Thread(target=worker.run_forever, name="market-stream", daemon=True)
    thread.start()
    running = asyncio.run_coroutine_threadsafe(pump(), worker)
    try:
        while True:
            kind, item = await inbox.get()
            if kind == "ready":
                if ready is not None:
                    ready.set()
            elif kind == "data":
                key, data = cast(tuple[Pubkey, bytes], item)
                result = on_data(key, data)
                if asyncio.iscoroutine(result):
                    await result
            else:
                raise cast(ChainError, item)
    finally:
        running.cancel()
        await asyncio.to_thread(_stop_worker, worker, thread, running)


def _stop_worker(worker: asyncio.AbstractEventLoop, thread: threading.Thread, running: Any) -> None:
    """Let the stream's coroutine finish its cancellation (closing the socket), then end the loop."""
    with contextlib.suppress(Exception):
        running.result(timeout=10)

    async def drain() -> None:  # SolanaWsClient.close() releases the socket in its own task
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            _, late = await asyncio.wait(others, timeout=5)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)

    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(drain(), worker).result(timeout=15)
    worker.call_soon_threadsafe(worker.stop)
    thread.join(timeout=10)
    if not thread.is_alive():
        worker.close()


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
            log.warning("the order book did not refresh after a trade: %s", self._words(exc))
        finally:
            self._refreshing.discard(task)

    async def _on_account(self, key: Pubkey, data: bytes) -> None:
        addr = await self.market.addresses()
        for name in ("bids", "asks", "settlement_queue"):
            if addr[name] == key:
                self._raw[name] = data
        await self._publish_all()

    def _words(self, exc: BaseException) -> str:
        """A ChainError already speaks words; a raw network error is turned into them."""
        if isinstance(exc, ChainError):
            return str(exc)
        return describe_network_error(exc, self.chain.profile.rpc_url, "read the market")

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
                if failures % POLL_WARN_EVERY == 1:   # words for the status bar, details in the log
                    log.warning("the order book could not refresh (%d in a row): %s", failures,
                                self._words(exc))
                continue
            except Exception:  # noqa: BLE001 - a bad account must not kill the service
                failures += 1
                log.warning("the order book could not refresh; details are in Help > Open log",
                            exc_info=failures == 1)
                continue
            if failures:
                log.info("market poll recovered after %d failure(s)", failures)
                failures = 0

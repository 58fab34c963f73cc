"""The private OTC program as the wallet sees it: deal and offer accounts, the MXE's x25519 key,
the event stream that carries sealed results, and X64.64 prices as people type them.

Why an event stream: results sealed to a party (DealCreated, OfferCreated, DealSettled,
OfferSettled) exist only in the logs of the MXE's callback transaction. The wallet subscribes
to logs that mention the OTC program *before* it sends the instruction that queues a
computation, then waits for the event naming its deal or offer, so no result of its own
actions is missed. Results of computations others queued (someone cranked my offer) are
recovered afterwards from the deal's transaction history (DealService.recover).
"""
from __future__ import annotations

import asyncio
import contextlib
from decimal import ROUND_FLOOR, Decimal
from typing import Any, AsyncIterator, Callable

import websockets
from solana.exceptions import SolanaRpcException
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.jsonrpc import SolanaJsonRpcError
from solana.rpc.websocket_api import SolanaWsClient
from solders.pubkey import Pubkey
from solders.rpc.config import RpcTransactionLogsFilterMentions
from solders.rpc.responses import LogsNotification

from protocol import arcium_encoding as enc
from protocol import otc_codec as otc
from protocol.program_ids import OTC_PROGRAM_ID

from .amounts import AmountError, parse_plain_decimal
from . import mxe_status
from .chain import Chain, ChainError
from .network_words import describe_network_error
from .service_tasks import cancel_and_wait

DEAL_DISCRIMINATOR = bytes(otc.OTC_IDL.accounts["DealAccount"]["discriminator"])
OFFER_DISCRIMINATOR = bytes(otc.OTC_IDL.accounts["OfferAccount"]["discriminator"])


class DealError(Exception):
    """A deal action refused before sending, or a computation that did not complete."""


def parse_price(text: str) -> int:
    """A decimal price ("1.5") as X64.64 fixed point (rounded down to the nearest 2^-64).

    The text is checked by the wallet's one amount grammar (wallet.core.amounts), so "nan",
    "1e400" or "-1" are a DealError with a message, never an arithmetic exception."""
    try:
        value = parse_plain_decimal(text, what="price")
    except AmountError as exc:
        raise DealError(f"not a price: {exc}") from None
    fixed = int((value * otc.PRICE_ONE).to_integral_value(rounding=ROUND_FLOOR))
    if not 0 < fixed < 2**128:
        raise DealError(f"price {text.strip()} does not fit X64.64 (between 2^-64 and 2^64)")
    return fixed


def format_price(fixed: int) -> str:
    text = f"{(Decimal(fixed) / otc.PRICE_ONE).quantize(Decimal('1e-9')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class OtcEvents:
    """OTC events seen on logsSubscribe (program mentions), in arrival order."""

    def __init__(self, rpc_url: str | None = None) -> None:
        """``rpc_url``: where to ask how many MXE nodes are up when a result is late."""
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Condition()
        self.rpc_url = rpc_url

    async def _pump(self, ws: SolanaWsClient) -> None:
        async for note in ws:
            if not isinstance(note, LogsNotification) or note.result.value.err is not None:
                continue
            found = otc.OTC_IDL.parse_events(list(note.result.value.logs))
            if found:
                async with self._changed:
                    self.events.extend(found)
                    self._changed.notify_all()

    async def wait(self, names: set[str], pred: Callable[[dict[str, Any]], bool],
                   timeout: float = 60.0) -> tuple[str, dict[str, Any]]:
        async def scan() -> tuple[str, dict[str, Any]]:
            async with self._changed:
                while True:
                    for name, fields in self.events:
                        if name in names and pred(fields):
                            return name, fields
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(scan(), timeout)
        except asyncio.TimeoutError:
            raise DealError(f"no {'/'.join(sorted(names))} event within {timeout:.0f}s: "
                            f"{await self._cluster_state()}") from None

    async def _cluster_state(self) -> str:
        """Why a result may be late, in words: the MXE cluster's node count when it can be read."""
        if self.rpc_url is None:
            return "is the MXE cluster running?"
        status, _ = await mxe_status.probe(self.rpc_url)
        if not status.known:
            return f"{status.headline}; is the MXE cluster running?"
        if status.healthy:
            return f"{status.headline}, so the computation is only slow; it stays queued and its result still lands"
        return (f"{status.headline}: the computation waits for the missing nodes and completes when they are "
                "back, or is aborted at its expiry (180 slots, about 72 s after it was queued)")


@contextlib.asynccontextmanager
async def otc_events(ws_url: str, rpc_url: str | None = None) -> AsyncIterator[OtcEvents]:
    """Subscribe (confirmed) and yield the collector once the subscription is acknowledged.

    solana-py's websocket client (as balances.py uses) sends logsSubscribe, waits for the
    acknowledgement and parses notifications into typed LogsNotification objects."""
    stream = OtcEvents(rpc_url)
    ws = SolanaWsClient(ws_url, max_size=None)
    try:
        await ws.connect()
        await ws.logs_subscribe(filter_=RpcTransactionLogsFilterMentions(OTC_PROGRAM_ID), commitment=Confirmed)
    except (OSError, asyncio.TimeoutError, websockets.WebSocketException, SolanaRpcException, RPCException,
            SolanaJsonRpcError) as exc:
        await ws.close()
        raise ChainError(describe_network_error(exc, ws_url, "follow the private deals")) from exc
    try:
        task = asyncio.ensure_future(stream._pump(ws))
        try:
            yield stream
        finally:
            await cancel_and_wait([task])
    finally:
        await ws.close()


class OtcClient:
    def __init__(self, chain: Chain):
        self.chain = chain

    async def mxe_public_key(self) -> bytes:
        data = await self.chain.account_data(otc.OTC_ARCIUM.mxe)
        key = enc.mxe_x25519_public_key(data) if data else None
        if key is None:
            raise ChainError("the cluster's MXE has no x25519 key yet (is the MXE node set up?)")
        return key

    async def deal(self, key: Pubkey) -> dict[str, Any]:
        data = await self.chain.account_data(key)
        if data is None or data[:8] != DEAL_DISCRIMINATOR:
            raise DealError(f"no deal at {key}")
        return otc.decode_deal(data)

    async def offer(self, key: Pubkey) -> dict[str, Any]:
        data = await self.chain.account_data(key)
        if data is None or data[:8] != OFFER_DISCRIMINATOR:
            raise DealError(f"no offer at {key}")
        return otc.decode_offer(data)

    async def deals(self) -> list[tuple[Pubkey, dict[str, Any]]]:
        found = await self.chain.program_accounts(OTC_PROGRAM_ID, [(0, DEAL_DISCRIMINATOR)])
        return [(k, otc.decode_deal(d)) for k, d in found]

    async def offers(self, deal: Pubkey) -> list[tuple[Pubkey, dict[str, Any]]]:
        found = await self.chain.program_accounts(
            OTC_PROGRAM_ID, [(0, OFFER_DISCRIMINATOR), (8, bytes(deal))])
        rows = [(k, otc.decode_offer(d)) for k, d in found]
        return sorted(rows, key=lambda kv: kv[1]["offer_index"])

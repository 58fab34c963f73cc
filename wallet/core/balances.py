"""Live slot, SOL and USDC balances of one address, over JSON-RPC and PubSub only.

Why both a subscription and polling: PubSub (slotSubscribe, accountSubscribe on the owner
and on its USDC associated token account) makes updates immediate; a slow poll underneath
keeps the numbers right when the WebSocket is down or the RPC provider does not offer it,
and reconnects the stream when it drops. Everything is async: the GUI's qasync loop runs
this service directly, and nothing here ever blocks it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from solana.rpc.async_api import AsyncClient
from solana.rpc.websocket_api import SolanaWsClient
from solders.pubkey import Pubkey
from solders.rpc.responses import AccountNotification, SlotNotification
from protocol.token_accounts import get_associated_token_address   # not spl's: cold start

from .chain import NETWORK_ERRORS, fetch_cluster_info
from .config import ClusterProfile
from .events import BalanceChanged, ConnectionChanged, EventBus, SlotChanged
from .network_words import cluster_unreachable, describe_network_error, is_unreachable
from .service_tasks import cancel_and_wait

log = logging.getLogger(__name__)


class BalanceService:
    """Publishes SlotChanged, BalanceChanged and ConnectionChanged on `bus`."""

    def __init__(self, profile: ClusterProfile, bus: EventBus, *, poll_interval: float = 2.0):
        self.profile = profile
        self.bus = bus
        self.poll_interval = poll_interval
        self.client = AsyncClient(profile.rpc_url)
        self.address: Pubkey | None = None
        self.usdc_mint: Pubkey | None = None
        self.last: BalanceChanged | None = None
        self.slot = 0
        self.connected: bool | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._refresh_now = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self, address: str | Pubkey | None = None) -> None:
        if address is not None:
            self.address = Pubkey.from_string(str(address))
        self._tasks = [asyncio.ensure_future(self._poll_loop()),
                       asyncio.ensure_future(self._stream_loop())]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []
        await self.client.close()

    def watch(self, address: str | Pubkey) -> None:
        """Switch to another address (the stream re-subscribes, a refresh follows at once)."""
        self.address = Pubkey.from_string(str(address))
        self.last = None
        self._refresh_now.set()
        for task in self._tasks[1:]:
            task.cancel()
        if self._tasks:
            self._tasks[1:] = [asyncio.ensure_future(self._stream_loop())]

    # ------------------------------------------------------------------ queries
    async def resolve_usdc_mint(self) -> Pubkey | None:
        if self.usdc_mint is None:
            info = await fetch_cluster_info(self.profile.rpc_url)
            mint = (info or {}).get("usdcMint") or self.profile.usdc_mint
            if mint:
                self.usdc_mint = Pubkey.from_string(str(mint))
        return self.usdc_mint

    async def usdc_balance(self, owner: Pubkey) -> int | None:
        """Base units in the owner's associated token account (0 if it does not exist yet)."""
        mint = await self.resolve_usdc_mint()
        if mint is None:
            return None
        ata = get_associated_token_address(owner, mint)
        info = await self.client.get_account_info(ata)
        if info.value is None:
            return 0
        resp = await self.client.get_token_account_balance(ata)
        return int(resp.value.amount)

    async def refresh(self) -> BalanceChanged | None:
        """Fetch slot and balances now and publish what changed."""
        slot = (await self.client.get_slot()).value
        self._set_connected(True, self.profile.rpc_url)
        self._publish_slot(slot)
        if self.address is None:
            return None
        owner = self.address
        lamports = (await self.client.get_balance(owner)).value
        usdc = await self.usdc_balance(owner)
        event = BalanceChanged(str(owner), lamports, usdc,
                               str(self.usdc_mint) if self.usdc_mint else None, slot)
        if owner == self.address and (self.last is None or
                                      (self.last.lamports, self.last.usdc) != (lamports, usdc)):
            self.last = event
            self.bus.publish(event)
        return event

    # ------------------------------------------------------------------ internals
    def _publish_slot(self, slot: int) -> None:
        if slot > self.slot:
            self.slot = slot
            self.bus.publish(SlotChanged(slot))

    def _set_connected(self, connected: bool, detail: str) -> None:
        if connected != self.connected:
            self.connected = connected
            self.bus.publish(ConnectionChanged(connected, detail))

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except NETWORK_ERRORS as exc:
                self._set_connected(False, cluster_unreachable(self.profile.rpc_url) if is_unreachable(exc)
                                    else describe_network_error(exc, self.profile.rpc_url, "read balances"))
            except Exception:  # noqa: BLE001 - keep polling whatever a reply looked like
                log.exception("balance refresh failed")
            self._refresh_now.clear()
            # asyncio.timeout, not wait_for: 3.11's wait_for swallows a cancel that races the event.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._refresh_now.wait()

    async def _stream_loop(self) -> None:
        """PubSub: slot ticks are published directly; account changes trigger a refresh."""
        while True:
            try:
                async with SolanaWsClient(self.profile.ws_url) as ws:
                    await ws.slot_subscribe()
                    if self.address is not None:
                        await ws.account_subscribe(pubkey=self.address)
                        mint = await self.resolve_usdc_mint()
                        if mint is not None:
                            await ws.account_subscribe(
                                pubkey=get_associated_token_address(self.address, mint))
                    async for note in ws:
                        if isinstance(note, SlotNotification):
                            self._publish_slot(note.result.slot)
                        elif isinstance(note, AccountNotification):
                            self._refresh_now.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any stream failure: fall back to polling, retry
                log.info("PubSub stream to %s ended: %s", self.profile.ws_url, exc)
            await asyncio.sleep(max(self.poll_interval, 1.0))

"""The trading services of one unlocked wallet, as the GUI's views use them.

Why one object: the order book, the settlement queue, the deal and proof views all act through
the same TradeContext (one RPC client, one TxSender and one proof-job queue publishing on the
window's EventBus), so transactions and proof jobs started from any view show up in the
Activity and Proof jobs views. The payee directory is found lazily (its URL comes from the
cluster's anomi_clusterInfo), so opening the window never waits for it.

Why a selected account: the account picked on the Balances tab is the one every view trades
with. `select_account` swaps the signing context (sharing the client, sender and proof jobs),
points the market service's "mine" at it and publishes TradingAccountChanged so views relabel
and reload. An action already running keeps the account it started with. A watch-only account
can be viewed (its orders, its settlement records) but `ctx`, `settlement` and `deals` refuse
with a message saying so, and nothing is signed.

Errors a user can cause arrive as the core's exceptions; `USER_ERRORS` lists them so every view
turns them into a message and nothing else happens.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
from pathlib import Path
from typing import Any, Callable

import qasync

from wallet.core import amounts
from wallet.core.chain import ChainError
from wallet.core.chain_history import ChainHistory
from wallet.core.cluster import ClusterError
from wallet.core.config import ClusterProfile, ConfigError
from wallet.core.deal_service import DealService
from wallet.core.events import EventBus
from wallet.core.keystore import Account, Keystore, KeystoreError
from wallet.core.market_client import MarketError
from wallet.core.market_service import MarketService
from wallet.core.notifications import STORE_FILE, Notifier, NotificationStore
from wallet.core.otc_client import DealError
from wallet.core.payee_directory import DirectoryClient, DirectoryError
from wallet.core.proof_jobs import ProofJobError, preload_prover
from wallet.core.rail_client import RailError, RailLogin
from wallet.core.seller_payments import SellerPaymentWatch, StatementReader
from wallet.core.settlement import Settlement
from wallet.core.deal_service import DealResultStored
from wallet.core.trade_events import TRADE_EVENTS, TradingAccountChanged
from wallet.core.trader import TradeContext
from wallet.core.tx import TxError

from wallet.core.proof_timings import StageTimings

from .confirm import Confirmer, ask_user

PROOF_TIMINGS_FILE = "proof_timings.json"

class WatchOnlyAccount(KeystoreError):
    """The selected account has no signing key: the views show it but cannot trade with it."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    ChainError, ClusterError, ConfigError, DealError, DirectoryError, KeystoreError, MarketError,
    ProofJobError, RailError, TxError, ValueError)


def action_slot(*types: type) -> Callable:
    """qasync.asyncSlot for a view method that acts through `self.session`: the running task is
    tracked so closing the window cancels actions still in flight instead of letting them reach
    the closed RPC client."""
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        async def tracked(self: Any, *args: Any) -> Any:
            task = asyncio.current_task()
            tasks: set = self.session.tasks
            if task is not None:
                tasks.add(task)
            try:
                return await fn(self, *args)
            finally:
                tasks.discard(task)
                self.session.notes_changed()   # the action may have written notes
        return qasync.asyncSlot(*types)(tracked)
    return decorate


class InputError(ValueError):
    """A form field that does not parse; the message names the field."""


NON_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


def _parse_positive(text: str, field: str, unit: str, convert: Callable[[str], int]) -> int:
    """A form amount in ``unit`` -> base units; refuses empty, zero, negative and malformed input."""
    if not text.strip():
        raise InputError(f"enter a {field} in {unit}")
    if text.strip().lstrip("+-").lower() in NON_FINITE:
        raise InputError(f"the {field} must be a finite number of {unit}, not {text.strip()!r}")
    try:
        value = convert(text)
    except (ValueError, ArithmeticError) as exc:  # AmountError: its message names the field
        raise InputError(str(exc)) from None
    if value <= 0:
        raise InputError(f"the {field} must be positive")
    return value


def parse_usdc(text: str, field: str = "size") -> int:
    """"100.5" -> base units (over-precise input is refused by the conversion)."""
    return _parse_positive(text, field, "USDC", lambda t: amounts.parse_usdc(t, field))


def parse_pkr(text: str, field: str = "price") -> int:
    """"285" PKR (per USDC) -> paisa."""
    return _parse_positive(text, field, "PKR", lambda t: amounts.parse_pkr(t, field))


class GuiSession:
    """TradeContext + live market + settlement + deals for the window; start()/stop() once."""

    def __init__(self, profile: ClusterProfile, keystore: Keystore, bus: EventBus, *,
                 root: Path | None = None, poll_interval: float = 2.0):
        self.profile = profile
        self.keystore = keystore
        self.bus = bus
        self.root = root
        signer = next(acc for acc in keystore.accounts() if acc.can_sign)
        self.base = TradeContext(profile, keystore, account=signer.address, bus=bus)  # reads + shared parts
        self.proofs = self.base.proofs
        self.history = ChainHistory(self.base.chain)   # any account's history (watch-only too)
        self.market = MarketService(self.base.chain, bus, owner=self.base.owner,
                                    poll_interval=poll_interval)
        self.market_address: str | None = None
        self.tasks: set[asyncio.Task[Any]] = set()   # view actions in flight (action_slot)
        self.preload: asyncio.Future[None] | None = None   # the prover's import on a worker thread
        # asked before anything moves funds or closes accounts (confirm.py); tests may answer
        self.confirm: Confirmer = ask_user
        # the notes views read, copied once per change (not once per timer tick): the keystore's
        # `notes()` deep-copies, and the settlement view redraws every second
        self._notes_cache: dict[str, dict[str, Any]] = {}
        for event_type in (*TRADE_EVENTS, DealResultStored, TradingAccountChanged):
            bus.subscribe(event_type, lambda _e: self.notes_changed())
        self._use(signer)
        # ---- notifications and the seller's view of incoming payments (issue 14) ------------
        # the seller's rail statement, read while its records wait for a payment
        self.payment_watch = SellerPaymentWatch(bus, lambda: self.owner, self._rail_login, self._statement)
        # what was notified, per account, in the data dir (none without one: nothing persists)
        self.notifier: Notifier | None = (Notifier(bus, NotificationStore(root / STORE_FILE), lambda: self.owner)
                                          if root is not None else None)
        # ---- end notifications

    def _rail_login(self) -> RailLogin | None:
        """The wallet's rail login, or None (no rail account, or a watch-only account selected)."""
        note = self.rail_note()   # the cached copy: no keystore deep copy per poll
        if self._ctx is None or not (note.get("handle") and note.get("commitment") and note.get("credential")):
            return None
        return RailLogin(note["handle"], note["credential"])

    async def _statement(self) -> StatementReader:
        return (await self.ctx.rail()).statement

    # ------------------------------------------------------------------ the selected account
    def _use(self, account: Account) -> None:
        self.account = account
        self._ctx: TradeContext | None = None
        self._settlement: Settlement | None = None
        self._deals: DealService | None = None
        if account.can_sign:
            self._ctx = self.base if account.address == str(self.base.owner) \
                else self.base.for_account(account.address)
            self._settlement, self._deals = Settlement(self._ctx), DealService(self._ctx)

    def _trading(self, obj: Any) -> Any:
        if obj is None:
            raise WatchOnlyAccount(f"account {self.account.label!r} is watch-only: it cannot sign, so it "
                                   "cannot trade; select a signing account on the Balances tab")
        return obj

    @property
    def ctx(self) -> TradeContext:
        """The selected account's signing context (WatchOnlyAccount for a watch-only one)."""
        return self._trading(self._ctx)

    @property
    def settlement(self) -> Settlement:
        return self._trading(self._settlement)

    @property
    def deals(self) -> DealService:
        return self._trading(self._deals)

    @property
    def owner(self) -> str:
        """The selected account's address (watch-only included: its records are shown)."""
        return self.account.address

    @property
    def can_trade(self) -> bool:
        return self._ctx is not None

    def select_account(self, address: str) -> None:
        """Trade with `address` from now on (every view); the market's "mine" follows at once."""
        if address == self.account.address:
            return
        account = self.keystore.account(address)
        directory = self._ctx.directory if self._ctx is not None else None
        self._use(account)
        if self._ctx is not None and self._ctx.directory is None:
            self._ctx.directory = directory
        self.bus.publish(TradingAccountChanged(account.address, account.label, account.can_sign))
        self.market.set_owner(account.pubkey)

    async def start(self) -> None:
        self.market_address = str((await self.base.market.addresses())["market"])
        # ---- proof ETAs: this machine's measured stage times, per circuit (read off the GUI thread)
        if self.root is not None:
            self.proofs.timings = await asyncio.to_thread(StageTimings, self.root / PROOF_TIMINGS_FILE)
        # ---- end proof ETAs
        if self.notifier is not None:
            self.notifier.start()        # before the market's first snapshot
        self.payment_watch.start()
        await self.market.start()
        # the prover stack, imported on a worker thread now rather than on the GUI thread at the
        # first bid (proof_jobs.preload_prover)
        self.preload = asyncio.ensure_future(asyncio.to_thread(preload_prover))

    async def stop(self) -> None:
        current = asyncio.current_task()
        pending = [t for t in self.tasks if t is not current and not t.done()]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.preload is not None and not self.preload.done():
            with contextlib.suppress(asyncio.CancelledError, Exception, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.preload), 10)   # an import cannot be cut short
        await self.market.stop()
        await self.payment_watch.stop()
        if self.notifier is not None:
            self.notifier.stop()
            self.notifier.store.close()
        await self.base.close()   # the RPC client every account's context shares

    async def directory(self) -> DirectoryClient:
        """The payee directory the cluster advertises (or the profile's / ANOMI_DIRECTORY_URL)."""
        ctx = self.ctx
        if ctx.directory is None:
            ctx.directory = await DirectoryClient.for_chain(ctx.chain)
        return ctx.directory

    # ------------------------------------------------------------------ wallet notes
    def note_key(self, order_id: int) -> str:
        return f"{self.market_address}:{order_id}"

    def notes(self, kind: str) -> dict[str, Any]:
        """The keystore's notes of one kind, copied once until `notes_changed` (read-only)."""
        cached = self._notes_cache.get(kind)
        if cached is None:
            cached = self._notes_cache[kind] = self.keystore.notes(kind)
        return cached

    def notes_changed(self) -> None:
        self._notes_cache.clear()

    def paid(self, order_id: int) -> dict[str, Any] | None:
        return self.notes("payments").get(self.note_key(order_id))

    def has_proof(self, order_id: int) -> bool:
        return self.note_key(order_id) in self.notes("proofs")

    def known_payee(self, order_id: int) -> dict[str, Any] | None:
        return self.notes("payees").get(self.note_key(order_id))

    def rail_note(self) -> dict[str, Any]:
        return self.notes("rail")

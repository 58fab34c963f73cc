"""`anomi-wallet`: the desktop wallet's entry point.

Why this shape: one qasync event loop on the GUI thread runs both Qt and asyncio, so the
core's async services (RPC, PubSub) run directly beside the widgets and no call blocks the
UI. The start-up order is: settings -> unlock (dialog, or ANOMI_PASSWORD for automation) ->
window -> make sure the cluster answers (starting the embedded localnet in the background
when the profile is the local one and nothing answers) -> live balances.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from wallet.gui import import_order  # noqa: F401 - issue 14 cold start: the core before PySide6
import qasync
from PySide6.QtWidgets import QApplication, QDialog

from wallet.core import logs
from wallet.core.amounts import SOL_DECIMALS, USDC_DECIMALS
from wallet.core.balances import BalanceService
from wallet.core.cluster import ClusterError, ensure_local_cluster
from wallet.core.config import ClusterProfile, ConfigError, WalletConfig, ws_url_for
from wallet.core.events import BalanceChanged, EventBus
from wallet.core.faucet import FaucetError, airdrop_sol, airdrop_usdc
from wallet.core.keyring_cache import UnlockCache
from wallet.core.unlock import remember_unlock, unlock_from_cache
from wallet.core.keystore import Keystore, KeystoreError

from .bridge import CoreBridge
from .cluster_lifecycle import StartedCluster
from .cluster_dialog import ask_to_reset, await_dialog
from .event_loop import WalletEventLoop
from .gc_guard import MainThreadCollector
from .health import HealthLog
from .main_window import MainWindow
from .notification_bell import NotificationBell
from .platform_check import check_desktop
from .session import USER_ERRORS, GuiSession
from . import startup_mark   # issue 14 cold start
from .help_menu import install_help_menu   # issue 14 help menu
from .unexpected import install_excepthook, status_for_problem   # issue 14 help menu
from .unlock_dialog import UnlockDialog
from .onboarding.backup_banner import install_backup_banner   # issue 14 first run
from .onboarding.first_run import FirstRunDialog   # issue 14 first run

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="anomi-wallet", description="ANOMI desktop wallet")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--wallet", default=os.environ.get("ANOMI_WALLET"))
    p.add_argument("--profile", default=None)
    p.add_argument("--url", default=os.environ.get("ANOMI_RPC_URL"), help="RPC URL (WebSocket: port + 1)")
    p.add_argument("--screenshot", type=Path, default=None,
                   help="save a PNG of the window once balances are shown, then quit")
    p.add_argument("--tab", default=None, help="open on this tab (e.g. 'Order book', 'Settlement')")
    p.add_argument("--health-log", type=Path, default=os.environ.get("ANOMI_HEALTH_LOG") or None,
                   help="append the app's vital signs (memory, descriptors, threads, event-loop stalls) "
                        "as JSON lines to this file every 5 s")
    return p.parse_args(list(argv) if argv is not None else sys.argv[1:])


@dataclass
class CoreServices:
    """The window's non-Qt parts: the event bus, the trading session (signing wallets only) and
    the live balances. No Qt object, so they may be built on a worker thread."""
    bus: EventBus
    session: GuiSession | None
    balances: BalanceService

    @classmethod
    def build(cls, cfg: WalletConfig, profile: ClusterProfile, keystore: Keystore) -> "CoreServices":
        bus = EventBus()
        session = (GuiSession(profile, keystore, bus, root=cfg.root)
                   if any(acc.can_sign for acc in keystore.accounts()) else None)
        return cls(bus, session, BalanceService(profile, bus, poll_interval=1.0))


class WalletController:
    """Owns the services of one unlocked wallet and wires them to the window."""

    def __init__(self, cfg: WalletConfig, profile: ClusterProfile, keystore: Keystore, *,
                 deferred: bool = False, services: "CoreServices | None" = None):
        """`deferred`: the trading views are built by `open()` (one per event-loop turn);
        `services`: the core objects, already built (by `open()`, off the GUI thread)."""
        self.cfg = cfg
        self.profile = profile
        self.keystore = keystore
        services = services or CoreServices.build(cfg, profile, keystore)
        self.bus = services.bus
        self.bridge = CoreBridge(self.bus)
        self.session: GuiSession | None = None
        self.interactive = True  # False for --screenshot: never wait on a dialog
        self.health: HealthLog | None = None  # set by --health-log
        self.started_cluster: StartedCluster | None = None  # the embedded cluster this window started
        # issue 14 cold start: the embedded cluster's start, begun before the unlock (run())
        self.early_cluster: "asyncio.Future[bool] | None" = None
        self.session = services.session
        self.window = MainWindow(self.bridge, keystore.path.stem, self.session, cfg, deferred=deferred)
        self.balances = services.balances
        view = self.window.balances
        view.set_cluster(profile.rpc_url)
        view.set_accounts(keystore.accounts())
        if self.session is not None:
            # the account shown is the one every view trades with: start on the first signer
            view.select_address(self.session.owner)
            view.accountSelected.connect(self.on_account_selected)
        view.accountSelected.connect(self.balances.watch)
        view.faucetRequested.connect(self.on_faucet)
        # --- issue 14 first run: the "backup not confirmed" reminder above the window's content
        # (a tool bar, so main_window.py's layout is untouched); hidden once the backup is confirmed
        self.backup_banner = install_backup_banner(self.window, keystore)
        # --- end first run
        # the notification bell (match, payment, settled, expiry reminders) in the header
        self.bell = NotificationBell(self.bridge, self.session, self.window)
        self.window.set_notification_widget(self.bell)

    @classmethod
    async def open(cls, cfg: WalletConfig, profile: ClusterProfile, keystore: Keystore) -> "WalletController":
        """The app's way in: the window's views are built without freezing the event loop,
        before any service starts publishing (so no view misses a snapshot)."""
        # the RPC clients cost ~150 ms to make (httpx's first import, one TLS context each) and
        # hold no Qt object: built on a worker thread
        services = await asyncio.to_thread(CoreServices.build, cfg, profile, keystore)
        controller = cls(cfg, profile, keystore, deferred=True, services=services)
        await controller.window.build_views()
        return controller

    def on_account_selected(self, address: str) -> None:
        assert self.session is not None
        try:
            self.session.select_account(address)
        except USER_ERRORS as exc:
            self.bridge.statusMessage.emit(f"Account not selected: {exc}")
            return
        account = self.session.account
        self.bridge.statusMessage.emit(
            f"Trading as {account.label} ({address})" if account.can_sign
            else f"{account.label} is watch-only: its orders and records are shown, it cannot trade")

    async def start(self) -> None:
        self.window.show()
        if self.profile.embedded:
            self.bridge.statusMessage.emit(f"Checking the local cluster at {self.profile.rpc_url}...")
            started = await self.start_local_cluster()
            if started is None:
                return  # the cluster's reason stays on screen; nothing below could work offline
            if started:
                self.started_cluster = StartedCluster.from_pid_file(self.cfg.root, self.profile.rpc_port)
                self.bridge.statusMessage.emit("Started the embedded local cluster in the background")
            else:   # not left on "Checking ..." once it answered
                self.bridge.statusMessage.emit(f"Connected to the local cluster at {self.profile.rpc_url}")
        await self.balances.start(self.window.balances.current_address())
        if self.session is not None:
            try:
                await self.session.start()
            except USER_ERRORS as exc:
                self.bridge.statusMessage.emit(f"Market unavailable: {exc}")
                return
            await self.window.deals.on_refresh()
            await self.window.activity.on_reload()
            await self.window.book.entry.rail.on_refresh()
            await self.window.settings.on_notary()

    async def start_local_cluster(self) -> bool | None:
        """True if started, False if already up, None if it could not start (reason shown)."""
        reset = False
        while True:
            try:
                early, self.early_cluster = self.early_cluster, None
                if early is not None and not reset:   # begun while the wallet unlocked (cold start)
                    return await early
                return await ensure_local_cluster(self.profile, root=self.cfg.root, reset=reset)
            except ClusterError as exc:
                message = str(exc)
                self.bridge.statusMessage.emit(message.splitlines()[0])
                if not self.interactive or reset or not await ask_to_reset(self.window, message):
                    # the balance panel would otherwise sit on "connecting..." for ever
                    self.bridge.connectionChanged.emit(False, message.splitlines()[0])
                    return None
                reset = True
                self.bridge.statusMessage.emit("Recreating the local test ledger...")

    @qasync.asyncSlot()
    async def on_faucet(self) -> None:
        from solders.pubkey import Pubkey
        owner = Pubkey.from_string(self.window.balances.current_address())
        self.window.balances.faucet_button.setEnabled(False)
        self.bridge.statusMessage.emit("Requesting test funds...")
        try:
            await airdrop_sol(self.profile.rpc_url, owner, 2 * 10**SOL_DECIMALS)
            await airdrop_usdc(self.profile.rpc_url, owner, 1000 * 10**USDC_DECIMALS)
            self.bridge.statusMessage.emit("Received 2 SOL and 1,000 test USDC")
        except FaucetError as exc:
            self.bridge.statusMessage.emit(str(exc))
        finally:
            self.window.balances.faucet_button.setEnabled(True)

    async def stop(self) -> None:
        await self.balances.stop()
        if self.session is not None:
            await self.session.stop()
        self.bridge.detach()
        await self.stop_started_cluster()

    async def stop_started_cluster(self) -> bool:
        """The last window closes: stop the embedded cluster it started (cluster_lifecycle.py),
        unless the settings keep it running; one another program started is never touched."""
        if self.started_cluster is None or self.cfg.keep_cluster_running:
            return False
        cluster, self.started_cluster = self.started_cluster, None
        return await cluster.stop_async()


async def unlock(path: Path, keyring_cache: bool = False, *, interactive: bool = True,
                 config: WalletConfig | None = None) -> Keystore | None:
    """The keyring cache, then ANOMI_PASSWORD, then (interactive only) the unlock dialog, or the
    first-run screens when there is no wallet yet (`config`: where a keyring opt-in is saved).

    A non-interactive run (``--screenshot``) has nobody to answer a dialog: it says why it
    cannot unlock and returns None instead of waiting for ever."""
    cache = UnlockCache() if keyring_cache and path.exists() else None
    # the unlock order the CLI uses too (wallet.core.unlock): cached key, else a password
    cached = await asyncio.to_thread(unlock_from_cache, path, cache)
    if cached is not None:
        return cached
    password = os.environ.get("ANOMI_PASSWORD")
    if password is not None and path.exists():
        try:
            ks = await asyncio.to_thread(Keystore.unlock, path, password)
            await asyncio.to_thread(remember_unlock, cache, ks)
            return ks
        except KeystoreError:
            pass  # fall through to the dialog, which explains the error on retry
    if not interactive:
        why = (f"no wallet at {path} (create one with `anomi wallet create`)" if not path.exists()
               else "ANOMI_PASSWORD is not set or does not unlock the wallet")
        print(f"anomi-wallet: cannot unlock without a dialog: {why}", file=sys.stderr)
        return None
    # --- issue 14 first run: no wallet yet -> welcome, create/restore, backup check (onboarding/)
    if not path.exists():
        first = FirstRunDialog(path, config=config, cache=UnlockCache())
        if await await_dialog(first) != QDialog.DialogCode.Accepted:
            return None
        return first.keystore   # the keyring opt-in, if chosen, was done by the dialog
    # --- end first run
    dialog = UnlockDialog(path)
    if await await_dialog(dialog) != QDialog.DialogCode.Accepted:
        return None
    if dialog.keystore is not None:
        await asyncio.to_thread(remember_unlock, cache, dialog.keystore)
    return dialog.keystore


async def stop_early_cluster(early: "asyncio.Future[bool] | None", cfg: WalletConfig,
                             profile: ClusterProfile) -> None:
    """Nobody unlocked: a cluster started for this window stops, as on closing the window
    (unless the settings keep it running); one that was already up is left alone."""
    if early is None:
        return
    try:
        started = await early
    except ClusterError:
        return   # it did not start: nothing to stop
    if started and not cfg.keep_cluster_running:
        cluster = StartedCluster.from_pid_file(cfg.root, profile.rpc_port)
        if cluster is not None:
            await cluster.stop_async()


async def run(args: argparse.Namespace, quit_event: asyncio.Event) -> int:
    try:
        cfg = WalletConfig.load(args.data_dir)
        profile = (ClusterProfile("cli-url", args.url.rstrip("/"), ws_url_for(args.url)).validated()
                   if args.url else cfg.profile(args.profile))
        path = cfg.wallet_path(args.wallet)
    except ConfigError as exc:
        print(f"anomi-wallet: {exc}", file=sys.stderr)
        return 2
    logs.configure_logging(cfg.root)
    # --- issue 14 cold start: the embedded cluster boots while the wallet unlocks and builds its
    # views (~0.2 s of a ~1.4 s start); the window's own check then awaits this same start
    early_cluster = (asyncio.ensure_future(ensure_local_cluster(profile, root=cfg.root))
                     if profile.embedded else None)
    keystore = await unlock(path, cfg.keyring_cache, interactive=args.screenshot is None, config=cfg)
    if keystore is None:
        await stop_early_cluster(early_cluster, cfg, profile)
        return 1
    # --- end cold start
    controller = await WalletController.open(cfg, profile, keystore)
    controller.early_cluster = early_cluster
    controller.interactive = args.screenshot is None
    controller.window.closed.connect(quit_event.set)
    # warnings logged anywhere in the core (a market poll that fails, ...) reach the status bar
    # --- issue 14 help menu: Help > Open log / Keyboard shortcuts / About; an unexpected failure
    # is logged with its traceback and the user reads which part failed and where the details
    # are (unexpected.py); a library's or the event loop's log record is not shown as is
    forget_problems = logs.on_problem(lambda p: controller.bridge.statusMessage.emit(
        status_for_problem(p.level, p.logger, p.message)))
    controller.help_menu = install_help_menu(controller.window, cfg.root)
    restore_excepthook = install_excepthook(controller.bridge.statusMessage.emit)
    # --- end help menu
    if args.tab and not controller.window.show_tab(args.tab):
        print(f"anomi-wallet: no tab {args.tab!r}", file=sys.stderr)
    shown = asyncio.Event()
    controller.bus.subscribe(BalanceChanged, lambda _e: shown.set())
    # --- issue 14 cold start: one line when the window is usable (ANOMI_STARTUP_MARK=1 or --health-log)
    startup_mark.arm(controller.bus, controller.window.isVisible,
                     Path(args.health_log) if args.health_log else None)
    # --- end cold start
    health = HealthLog(Path(args.health_log)) if args.health_log else None
    if health is not None:
        controller.health = health
        health.start()
    await controller.start()
    if args.screenshot is not None:
        try:
            await asyncio.wait_for(shown.wait(), 60)
        except asyncio.TimeoutError:
            print("anomi-wallet: no balances within 60 s; saving the window as it is", file=sys.stderr)
        await asyncio.sleep(1.0)  # live views (book, queue, deals) settle; Qt's events run meanwhile
        # (no QApplication.processEvents() here: inside a coroutine it re-entered qasync and
        # failed another task with "Cannot enter into task ... while another task is running")
        controller.window.grab().save(str(args.screenshot))
        quit_event.set()
    await quit_event.wait()
    if health is not None:
        await health.stop()
    forget_problems()
    restore_excepthook()
    await controller.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if QApplication.instance() is None:
        problem = check_desktop()   # before Qt aborts with a plugin message naming no package
        if problem is not None:
            print(problem, file=sys.stderr)
            return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ANOMI")
    loop = WalletEventLoop(app)
    asyncio.set_event_loop(loop)
    quit_event = asyncio.Event()
    app.aboutToQuit.connect(quit_event.set)
    app.setQuitOnLastWindowClosed(False)  # closing the unlock dialog must not end the app
    collector = MainThreadCollector(parent=app)  # worker threads must never destroy Qt objects
    collector.start()
    try:
        with loop:
            return loop.run_until_complete(run(args, quit_event))
    finally:
        collector.stop()


if __name__ == "__main__":
    sys.exit(main())

"""Helpers for the trading GUI tests: wallets as real WalletControllers on the shared localnet.

Each wallet is a fresh keystore in its own data dir, its window built by the app's own
WalletController (balances + GuiSession with the live market service), pointed at the session's
localnet (rail, MXE node, payee directory). `until` polls a condition while the qasync loop runs,
so Qt signals, asyncSlots and the core's tasks all make progress.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

from solders.pubkey import Pubkey

from protocol import market_codec as mc
from tests.integration.localnet_process import LocalnetProcess
from wallet.core.chain import Chain
from wallet.core.config import ClusterProfile, WalletConfig
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.keystore import KdfParams, Keystore
from wallet.core.trade_events import TRADE_EVENTS
from wallet.core.tx import TxConfirmed, TxFailed, TxSubmitted
from wallet.gui.app import WalletController
from wallet.gui.confirm import Confirmation




async def until(pred: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> None:
    async def poll() -> None:
        while not pred():
            await asyncio.sleep(0.03)
    try:
        await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}") from None


def profile_for(node: LocalnetProcess) -> ClusterProfile:
    """The session's cluster; the rail and payee directory are the ones it advertises."""
    return ClusterProfile("gui-test", node.rpc_url, node.ws_url).validated()


class GuiWallet:
    """One wallet window; `sent` records the transaction events its TxSender published and
    `trades` the trade events (OrderPlaced, PaymentSent, Finalized, ...) its actions published."""

    def __init__(self, root: Path, name: str, profile: ClusterProfile, qtbot, *, mnemonic: str | None = None,
                 keystore: Keystore | None = None):
        data = root / name
        data.mkdir(parents=True)
        self.keystore = keystore or Keystore.create(data / "wallets" / "default.keystore", "gui test pw",
                                                    words=12, mnemonic=mnemonic, kdf=KdfParams.fresh(1, 8 << 20),
                                                    backup_confirmed=True)   # the backup check: test_gui_onboarding
        self.controller = WalletController(WalletConfig.load(data), profile, self.keystore)
        qtbot.addWidget(self.controller.window)
        self.window = self.controller.window
        self.session = self.controller.session
        assert self.session is not None
        self.sent: list[object] = []
        for kind in (TxSubmitted, TxConfirmed, TxFailed):
            self.controller.bus.subscribe(kind, self.sent.append)
        self.trades: list[object] = []
        for kind in TRADE_EVENTS:
            self.controller.bus.subscribe(kind, self.trades.append)
        # the user's answer to every confirmation (confirm.py): yes, and what was asked is kept
        self.confirmations: list[Confirmation] = []

        async def accept(_parent: Any, what: Confirmation) -> bool:
            self.confirmations.append(what)
            return True
        self.session.confirm = accept

    @property
    def owner(self) -> Pubkey:
        return self.session.ctx.owner

    async def fund(self, sol: float = 1.0, usdc: int = 0) -> None:
        url = self.session.profile.rpc_url
        await airdrop_sol(url, self.owner, int(sol * 1e9))
        if usdc:
            await airdrop_usdc(url, self.owner, usdc)

    async def usdc(self) -> int:
        return await self.session.ctx.chain.token_balance(await self.session.ctx.market.usdc_account(self.owner))

    async def start(self) -> None:
        await self.controller.start()
        await until(lambda: self.session.market.subscribed.is_set(), what="market subscription")

    async def stop(self) -> None:
        await self.controller.stop()


async def vault_balance(node: LocalnetProcess) -> int:
    async with Chain(ClusterProfile("t", node.rpc_url, node.ws_url).validated()) as chain:
        return await chain.token_balance(mc.market_addresses(Pubkey.from_string(node.usdc_mint))["vault"])


def cell(table, row: int, col: int) -> str:
    item = table.item(row, col)
    return "" if item is None else item.text()


def column(table, col: int) -> list[str]:
    return [cell(table, r, col) for r in range(table.rowCount())]


def offered(queue) -> str | None:
    """The settlement stepper's primary action if it can be clicked now ("pay", "prove", ...)."""
    step = queue.stepper.step
    if step is None or step.action is None or not queue.stepper.primary.isEnabled():
        return None
    return step.action.value


def click_primary(queue, action: str) -> None:
    """Click the stepper's primary button, which must offer `action`."""
    assert offered(queue) == action, (offered(queue), queue.stepper.headline.text())
    queue.stepper.primary.click()

"""The wallet window against a real local cluster: slot, address, SOL and USDC update live."""
from __future__ import annotations

import asyncio
from pathlib import Path


from wallet.core.config import ClusterProfile, WalletConfig
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.keystore import KdfParams, Keystore
from wallet.gui.app import WalletController

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"




def test_window_shows_live_balances(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    ks = Keystore.create(tmp_path / "w.keystore", "gui password", mnemonic=PHRASE, accounts=2,
                         kdf=KdfParams.fresh(1, 8 << 20))
    profile = ClusterProfile("test", gui_localnet.rpc_url, gui_localnet.ws_url).validated()
    controller = WalletController(WalletConfig.load(tmp_path), profile, ks)
    qtbot.addWidget(controller.window)
    view = controller.window.balances

    async def scenario() -> None:
        async def until(pred, timeout: float = 20.0) -> None:
            async def poll():
                while not pred():
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(poll(), timeout)
        await controller.start()
        await until(lambda: view.sol_label.text() != "-" and view.slot_label.text() != "-")
        first_slot = int(view.slot_label.text().replace(",", ""))
        assert view.address_label.text() == ks.accounts()[0].address
        assert view.connection_label.text() == "connected"
        await until(lambda: int(view.slot_label.text().replace(",", "")) > first_slot)
        owner = ks.accounts()[0].pubkey
        await airdrop_sol(profile.rpc_url, owner, 1_500_000_000)
        await airdrop_usdc(profile.rpc_url, owner, 250_000_000)
        await until(lambda: (view.sol_label.text(), view.usdc_label.text()) == ("1.5 SOL", "250 USDC"))
        view.account_box.setCurrentIndex(1)  # another account: fresh figures for it
        await until(lambda: view.sol_label.text() == "0 SOL")
        assert view.address_label.text() == ks.accounts()[1].address
        await controller.stop()

    loop.run_until_complete(scenario())

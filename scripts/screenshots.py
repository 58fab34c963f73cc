"""One PNG of every page of the desktop wallet, against a real local cluster it starts.

    xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb python scripts/screenshots.py
    python scripts/screenshots.py                 # no X server: QT_QPA_PLATFORM=offscreen

Why a script and real data: the pictures in docs/screenshots/ illustrate the README's walkthrough,
so they show what a user sees after real actions: two wallets funded from the faucet, rail
accounts topped up, an ask resting in the book, a bid that matched it (a solvency proof is made
for real), a private deal with an offer. Every page of the left navigation is grabbed, plus the
deal wizards' review steps and the dark theme. The cluster is a fresh `anomi localnet up` in a
temporary directory, stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import faulthandler
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWizard  # noqa: E402

from tests.integration.localnet_process import start_localnet  # noqa: E402
from wallet.core.config import ClusterProfile, WalletConfig  # noqa: E402
from wallet.core.faucet import airdrop_sol, airdrop_usdc  # noqa: E402
from wallet.core.keystore import KdfParams, Keystore  # noqa: E402
from wallet.gui.app import WalletController  # noqa: E402
from wallet.gui.event_loop import WalletEventLoop  # noqa: E402
from wallet.gui.themes import apply_theme  # noqa: E402

PAGES = ("book", "orders", "queue", "proofs", "deals", "activity", "balances", "settings")


async def until(pred, timeout: float = 120.0) -> bool:
    async def poll() -> None:
        while not pred():
            await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(poll(), timeout)
        return True
    except asyncio.TimeoutError:
        return False


async def wallet(root: Path, name: str, profile: ClusterProfile) -> WalletController:
    data = root / name
    data.mkdir(parents=True)
    ks = Keystore.create(data / "wallets" / "default.keystore", "screenshots pw", words=12,
                         kdf=KdfParams.fresh(1, 8 << 20), backup_confirmed=True)  # past the first-run quiz
    controller = await WalletController.open(WalletConfig.load(data), profile, ks)
    controller.window.resize(1320, 820)
    owner = controller.session.ctx.owner
    await airdrop_sol(profile.rpc_url, owner, 2 * 10**9)
    await airdrop_usdc(profile.rpc_url, owner, 1_000 * 10**6)
    await controller.start()
    return controller


async def settle_ui(seconds: float = 1.2) -> None:
    """Let the window paint: the qasync loop processes Qt's events while this coroutine sleeps.
    (Calling QApplication.processEvents() here, inside a running task, made qasync wake another
    task within it, "Cannot enter into task", and a cancelled poll loop then never finished: the
    shutdown hang seen once in three runs.)"""
    await asyncio.sleep(seconds)


def save(widget, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


async def shoot(out: Path, root: Path, rpc_url: str, ws_url: str) -> None:
    profile = ClusterProfile("localnet-shots", rpc_url, ws_url).validated()
    seller = await wallet(root, "seller", profile)
    me = await wallet(root, "me", profile)
    try:
        # the other side: a rail account and two asks resting in the book
        s = seller.session
        await s.ctx.open_rail_account("0345-1000001", "Ali Seller")
        await s.directory()
        await s.ctx.place_ask(28_500, 100 * 10**6)
        await s.ctx.place_ask(28_900, 250 * 10**6)
        # me: a rail account with PKR, an ask of my own, a bid that matches (a real solvency proof)
        m = me.session
        await m.ctx.open_rail_account("0345-2000002", "Sara Buyer")
        await m.directory()
        rail = me.window.book.entry.rail
        rail.show_state()
        rail.topup_edit.setText("50000")
        rail.topup_button.click()
        await until(lambda: rail.balance_paisa is not None)
        await m.ctx.place_ask(29_500, 40 * 10**6)
        try:
            await m.ctx.place_bid(28_500, 60 * 10**6)
        except Exception as exc:  # noqa: BLE001 - the pictures are still worth taking
            print(f"bid not placed ({exc}); the settlement page will be empty", file=sys.stderr)
        await me.window.activity.on_reload()
        # a private deal by me with an offer by the seller
        deals = me.window.deals
        created = await m.deals.create(1_000 * 10**6, 3 << 63, 3600, False)   # price 1.5 in X64.64
        from solders.pubkey import Pubkey
        await s.deals.offer(Pubkey.from_string(created.deal), 600 * 10**6, 26 << 60)   # 1.625
        await deals.on_refresh()
        from wallet.gui.table_widgets import select_key
        select_key(deals.table, created.deal)
        await until(lambda: "You offered" in deals.results.toPlainText(), 30)
        queue = me.window.queue
        if queue.table.rowCount():
            queue.table.selectRow(0)

        window = me.window
        for n, page in enumerate(PAGES, start=1):
            window.show_page(page)
            await settle_ui()
            save(window, out, f"{n:02d}-{page}")
        # the wizards' review steps
        window.show_page("deals")
        deals.create_button.click()
        await until(lambda: deals.wizard is not None and deals.wizard.isVisible(), 10)
        wiz = deals.wizard
        wiz.amount_edit.setText("2500")
        wiz.price_edit.setText("1.2")
        await settle_ui(0.3)
        save(wiz, out, "09-create-deal-terms")
        wiz.button(QWizard.WizardButton.NextButton).click()
        await settle_ui(0.3)
        save(wiz, out, "10-create-deal-review")
        wiz.reject()
        sd = seller.window.deals
        await sd.on_refresh()
        select_key(sd.table, created.deal)
        await until(lambda: sd.offer_button.isEnabled(), 30)
        sd.offer_button.click()
        await until(lambda: sd.wizard is not None and sd.wizard.isVisible(), 10)
        ow = sd.wizard
        ow.amount_edit.setText("300")
        ow.price_edit.setText("1.55")
        ow.button(QWizard.WizardButton.NextButton).click()
        await settle_ui(0.3)
        save(ow, out, "11-offer-review")
        ow.reject()
        # the dark theme
        apply_theme("dark")
        window.show_page("book")
        await settle_ui()
        save(window, out, "12-dark-order-book")
        window.show_page("deals")
        await settle_ui()
        save(window, out, "13-dark-private-deals")
        apply_theme("light")
    finally:
        async def watchdog() -> None:   # a stop that hangs: say what is still waiting
            await asyncio.sleep(45)
            for task in asyncio.all_tasks():
                print(f"still waiting: {task!r}", file=sys.stderr)
                task.print_stack(limit=6, file=sys.stderr)
        dog = asyncio.get_running_loop().create_task(watchdog())
        for c in (me, seller):
            try:
                await asyncio.wait_for(c.stop(), 60)
            except asyncio.TimeoutError:
                print("a wallet did not stop within 60 s", file=sys.stderr)
            c.window.close()
        dog.cancel()
        print("wallets stopped", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    print(f"Qt platform: {app.platformName()}")
    faulthandler.dump_traceback_later(400, exit=True)   # a hang says where, and ends
    with tempfile.TemporaryDirectory(prefix="anomi-shots-") as tmp:
        node = start_localnet(Path(tmp) / "ledger")
        loop = WalletEventLoop(app, already_running=False)
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(shoot(args.out, Path(tmp) / "wallets", node.rpc_url, node.ws_url))
        finally:
            loop.close()
            node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

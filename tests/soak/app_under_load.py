"""The real desktop wallet (``wallet.gui.app.main``: its window, its event loop, its prover
thread) with a scripted user: every cycle another wallet escrows an ask through the `anomi` CLI
and this window bids on it through its order form, which proves solvency on the prover thread
and matches, so the settlement queue's countdown has records to tick.

Why a script inside the app process: the soak must watch exactly what a user runs for minutes
(timers, sockets, proofs, live views), and only code in the process can click its buttons. The
script touches the window the way the pytest-qt tests do and nothing else; what it measures
comes from ``--health-log`` (wallet/gui/health.py).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from wallet.gui import app as wallet_app

SELLER_CLI = [sys.executable, "-c", "import sys; from wallet.cli import main; sys.exit(main())"]


async def seller_ask(seller_dir: Path, size: str, price: str) -> bool:
    proc = await asyncio.create_subprocess_exec(
        *SELLER_CLI, "ask", "--size", size, "--price", price, "--json",
        env={**os.environ, "ANOMI_DATA_DIR": str(seller_dir)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _out, err = await proc.communicate()
    if proc.returncode != 0:
        print(f"soak: seller ask failed: {err.decode(errors='replace')[-400:]}", file=sys.stderr, flush=True)
    return proc.returncode == 0


async def scripted_user(controller: "wallet_app.WalletController", args: argparse.Namespace) -> None:
    window, health = controller.window, controller.health
    assert health is not None, "run with --health-log"
    entry = window.book.entry
    stats = {"asks": 0, "bids_matched": 0, "bids_failed": 0, "proofs": 0}
    health.extra["load"] = stats
    deadline = time.monotonic() + args.minutes * 60
    try:
        while time.monotonic() < deadline:
            cycle_end = time.monotonic() + args.cycle
            if await seller_ask(args.seller_dir, args.size, args.price):
                stats["asks"] += 1
                await asyncio.sleep(1.0)
                entry.bid_size.setText(args.size)
                entry.bid_price.setText(args.price)
                entry.bid_button.click()
                await asyncio.sleep(0.2)
                while not entry.bid_button.isEnabled() and time.monotonic() < cycle_end + 120:
                    await asyncio.sleep(0.2)
                text = entry.message.text()
                if "matched order" in text:
                    stats["bids_matched"] += 1
                    stats["proofs"] += 1
                else:
                    stats["bids_failed"] += 1
                    print(f"soak: bid not matched: {text}", file=sys.stderr, flush=True)
            health.extra["view"] = {
                "balances": [window.balances.sol_label.text(), window.balances.usdc_label.text()],
                "book_rows": window.book.asks_table.rowCount() + window.book.bids_table.rowCount(),
                "queue_rows": window.queue.table.rowCount(),
                # the oldest record's countdown (newest first): it has been ticking the longest
                "countdown": window.queue.table.item(window.queue.table.rowCount() - 1,
                                                     window.queue.table.columnCount() - 1).text()
                if window.queue.table.rowCount() else "",
            }
            await asyncio.sleep(max(0.0, min(cycle_end, deadline) - time.monotonic()))
    finally:
        await asyncio.sleep(health.period + 0.5)  # one last sample carries the final figures
        window.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--cycle", type=float, default=60.0)
    p.add_argument("--size", default="10")
    p.add_argument("--price", default="285")
    p.add_argument("--seller-dir", type=Path, required=True)
    args, app_argv = p.parse_known_args()
    original_start = wallet_app.WalletController.start

    async def start_then_load(self: "wallet_app.WalletController") -> None:
        await original_start(self)

        async def yes(_parent: object, _what: object) -> bool:   # the scripted user confirms each bid
            return True
        if self.session is not None:
            self.session.confirm = yes
        self._soak_task = asyncio.ensure_future(scripted_user(self, args))
    wallet_app.WalletController.start = start_then_load  # type: ignore[method-assign]
    return wallet_app.main(app_argv)


if __name__ == "__main__":
    sys.exit(main())

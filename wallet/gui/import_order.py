"""Load the wallet's non-Qt modules before PySide6: imported first by the app's entry point.

Why: once `shiboken6` is loaded it hooks every later import and, for each new module, reads
the module's source (`inspect.getsource`) to look for `from __feature__ import ...`. The core
and its libraries (solana-py, pydantic, aiohttp, ...) are ~600 modules the window needs anyway;
importing them before PySide6 skips that check for all of them and starts the window ~70 ms
sooner (bench/cold_start.py). Only what the first window imports anyway is listed here, so this
adds nothing to the work; a module that no longer exists is skipped (it costs nothing).
"""
from __future__ import annotations

import importlib

# what `wallet.gui.app` pulls in from the core (python -c "import wallet.gui.app; ...sys.modules")
CORE_MODULES = (
    "wallet.core.amounts", "wallet.core.balances", "wallet.core.chain", "wallet.core.chain_history",
    "wallet.core.cluster", "wallet.core.config", "wallet.core.deal_results", "wallet.core.deal_service",
    "wallet.core.events", "wallet.core.faucet", "wallet.core.identities", "wallet.core.keyring_cache",
    "wallet.core.keystore", "wallet.core.logs", "wallet.core.market_client", "wallet.core.market_service",
    "wallet.core.notifications", "wallet.core.otc_client", "wallet.core.password_strength",
    "wallet.core.payee_directory", "wallet.core.proof_jobs", "wallet.core.rail_client",
    "wallet.core.seed_backup", "wallet.core.seller_payments", "wallet.core.service_tasks",
    "wallet.core.settlement", "wallet.core.settlement_results", "wallet.core.trade_events",
    "wallet.core.trade_steps", "wallet.core.trader", "wallet.core.tx", "wallet.core.tx_errors",
    "wallet.core.unlock", "wallet.core.wallet_setup",
)

for _name in CORE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:   # a missing dependency is a real error, not a renamed module
            raise

"""An ask or bid built and ready to sign, held while the user reviews it.

Why a separate step: the review dialog shows what the cluster says this very transaction would
do (tx_preview.py) before anything is signed away; only `TradeContext.submit` sends it. An ask's
payee details are deposited with the directory only then, so a declined review tells nobody
anything (its salt was written ahead to the keystore and stays unused).
"""
from __future__ import annotations

from dataclasses import dataclass

from solders.instruction import Instruction


@dataclass(frozen=True)
class PayeeDeposit:
    """What the payee directory receives when the ask is sent (the commitment the ask carries)."""
    handle: str
    salt: int
    display_name: str
    commitment: int


@dataclass(frozen=True)
class PreparedOrder:
    side: str                              # "ask" or "bid"
    price: int                             # paisa per USDC
    size: int                              # USDC base units
    instructions: tuple[Instruction, ...]
    compute_unit_limit: int | None
    deposit: PayeeDeposit | None = None    # an ask's payee details
    proof_job: int | None = None           # a bid's solvency proof job (its receipt names the tx)

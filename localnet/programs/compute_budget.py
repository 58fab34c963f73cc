"""The ComputeBudget program (builtin). Its instructions are read by the runtime before
execution (localnet/runtime/message.py sets the limit and price); executing one is a no-op
costing 150 CU, as on Agave."""
from __future__ import annotations

from solders.pubkey import Pubkey

COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")


class ComputeBudgetProgram:
    program_id = COMPUTE_BUDGET_PROGRAM_ID
    builtin = True

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        return None

"""The programs the local cluster hosts, at their fixed ids.

Other engineers append their program object to ``PROGRAMS`` with a one-line edit. Each entry
is any object satisfying ``localnet.runtime.program_api.Program``. ``LOADERS`` says which
loader owns each program account in the ledger (builtins: the native loader; everything else:
BPF loader 2), so ``getAccountInfo`` on a program id shows an executable account.
"""
from __future__ import annotations

from solders.pubkey import Pubkey

from localnet.programs.arcium import ArciumProgram
from localnet.programs.associated_token import AssociatedTokenProgram
from localnet.programs.compute_budget import ComputeBudgetProgram
from localnet.programs.memo import MemoProgram
from localnet.programs.otc import OtcProgram
from localnet.programs.system import SystemProgram
from localnet.programs.token import TokenProgram
from localnet.programs.market.program import MarketProgram
from localnet.programs.order_store.program import OrderStoreProgram
from localnet.programs.order_processor.program import OrderProcessorProgram

NATIVE_LOADER_ID = Pubkey.from_string("NativeLoader1111111111111111111111111111111")
BPF_LOADER_ID = Pubkey.from_string("BPFLoader2111111111111111111111111111111111")

PROGRAMS: list = [
    SystemProgram(),
    ComputeBudgetProgram(),
    TokenProgram(),
    AssociatedTokenProgram(),
    MemoProgram(),
    ArciumProgram(),
    OtcProgram(),
    MarketProgram(), OrderStoreProgram(), OrderProcessorProgram(),
]


def program_map(extra: list | None = None) -> dict[Pubkey, object]:
    """program id -> program object (``extra`` lets tests register test-only programs)."""
    out = {p.program_id: p for p in PROGRAMS}
    for p in extra or ():
        out[p.program_id] = p
    return out


def loader_for(program) -> Pubkey:
    return NATIVE_LOADER_ID if getattr(program, "builtin", False) else BPF_LOADER_ID

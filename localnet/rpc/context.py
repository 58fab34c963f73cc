"""What a JSON-RPC method handler can reach: the Bank (through its worker) and cluster facts.

Why a small object instead of globals: tests and the node build several servers in one
process, and handlers must stay independent of how the node wires its parts together.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from solders.signature import Signature

from localnet.rpc.bank_worker import BankWorker
from localnet.rpc.encoders import with_context
from localnet.rpc.faucet_limits import FaucetLimits
from localnet.rpc.params import raise_if_not_reached

Handler = Callable[["RpcContext", Any], Awaitable[Any]]


@dataclass
class RpcContext:
    bank: Any
    worker: BankWorker
    genesis_hash: str
    rpc_url: str = ""
    ws_url: str = ""
    # name -> URL of the side services (the fiat rail, ...), filled as they report ready
    service_urls: dict[str, str] = field(default_factory=dict)
    # called on the event loop when sendTransaction accepts a transaction (receivedSignature)
    on_received: Callable[[Signature], None] | None = None
    # dev/test only (`localnet up --allow-clock-warp`): anomi_warpClock may move the Clock forward
    allow_clock_warp: bool = False
    # caps on requestAirdrop / anomi_requestTokenAirdrop (ANOMI_FAUCET_* environment variables)
    faucet_limits: FaucetLimits = field(default_factory=FaucetLimits.from_env)

    def run(self, fn: Callable[[], Any]) -> Awaitable[Any]:
        """Run ``fn`` on the Bank worker thread."""
        return self.worker.call(fn)

    def contextual(self, cfg: dict[str, Any], read: Callable[[Any], Any]) -> Awaitable[Any]:
        """``read(bank)`` on the worker, as ``{"context": {"slot"...}, "value": ...}`` at one slot.

        Why one helper: every contextful method checks ``minContextSlot`` against the slot it
        reads at and wraps the value the same way; doing both on the worker keeps them consistent.
        """
        def work() -> Any:
            bank = self.bank
            slot = bank.slot
            raise_if_not_reached(cfg, slot)
            return with_context(slot, read(bank))
        return self.worker.call(work)

"""What a JSON-RPC method handler can reach: the Bank (through its worker) and cluster facts.

Why a small object instead of globals: tests and the node build several servers in one
process, and handlers must stay independent of how the node wires its parts together.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from solders.signature import Signature

from localnet.rpc.bank_worker import BankWorker

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

    def run(self, fn: Callable[[], Any]) -> Awaitable[Any]:
        """Run ``fn`` on the Bank worker thread."""
        return self.worker.call(fn)

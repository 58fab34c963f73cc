"""Caps on the cluster's two unauthenticated faucets (``requestAirdrop``, ``anomi_requestTokenAirdrop``).

Why: anyone who can reach the RPC port may call them. Without caps one ``requestAirdrop`` of
the faucet's whole balance empties it for everybody, and one token airdrop of the u64 maximum
makes every later USDC airdrop overflow the mint's supply. Agave's faucet (faucet/src/faucet.rs)
has the same two guards: a per-request cap and a per-address total over a time slice; we keep
its error texts (``request too large; req: ◎…, cap: ◎…`` and ``limit reached; req: ◎…, to: …,
current: ◎…, cap: ◎…``) and, as Agave's RPC does for every faucet failure, the -32603 code,
with the reason named in ``data``.

The window is sliding: an address may receive at most ``per_window`` in any ``window_seconds``.
Only granted requests count, and a request whose transaction fails gives its amount back.
Configuration: environment variables read when the node starts (docs/rpc.md, "Faucets").
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable

from localnet.rpc.errors import INTERNAL_ERROR, RpcError

LAMPORTS_PER_SOL = 10**9
USDC_BASE_UNITS = 10**6

DEFAULT_SOL_PER_REQUEST = 1_000          # SOL
DEFAULT_SOL_PER_WINDOW = 10_000          # SOL per address per window
DEFAULT_USDC_PER_REQUEST = 1_000_000     # test USDC
DEFAULT_USDC_PER_WINDOW = 10_000_000     # test USDC per address per window
DEFAULT_WINDOW_SECONDS = 3_600

ENV_WINDOW = "ANOMI_FAUCET_WINDOW_SECONDS"
ENV_SOL_REQUEST = "ANOMI_FAUCET_SOL_PER_REQUEST"
ENV_SOL_WINDOW = "ANOMI_FAUCET_SOL_PER_WINDOW"
ENV_USDC_REQUEST = "ANOMI_FAUCET_USDC_PER_REQUEST"
ENV_USDC_WINDOW = "ANOMI_FAUCET_USDC_PER_WINDOW"


class FaucetConfigError(ValueError):
    """A faucet cap in the environment is not a positive number."""


def _fmt(amount: int, unit: int) -> str:
    """Agave prints lamports_to_sol (an f64); we print the exact decimal, trailing zeros cut."""
    text = f"{Decimal(amount) / Decimal(unit):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class AssetLimit:
    """The caps for one asset, in base units (lamports, USDC micro-units)."""

    name: str            # "SOL" / "USDC": the error texts' unit
    symbol: str          # "◎" for SOL as Agave prints it, "" for USDC
    unit: int            # base units per whole token
    per_request: int
    per_window: int
    window_seconds: float
    clock: Callable[[], float] = time.monotonic
    _granted: dict[str, deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _amount(self, base_units: int) -> str:
        return (f"{self.symbol}{_fmt(base_units, self.unit)}" if self.symbol
                else f"{_fmt(base_units, self.unit)} {self.name}")

    def reserve(self, to: str, amount: int) -> tuple[float, int]:
        """Count ``amount`` for ``to`` or raise the named RpcError; returns a ticket for ``release``."""
        if amount > self.per_request:
            raise RpcError(INTERNAL_ERROR,
                           f"request too large; req: {self._amount(amount)}, cap: {self._amount(self.per_request)}",
                           {"error": "PerRequestCapExceeded", "asset": self.name, "requested": amount,
                            "cap": self.per_request})
        with self._lock:
            now = self.clock()
            entries = self._granted.setdefault(to, deque())
            while entries and entries[0][0] <= now - self.window_seconds:
                entries.popleft()
            current = sum(a for _, a in entries) + amount
            if current > self.per_window:
                raise RpcError(INTERNAL_ERROR,
                               f"limit reached; req: {self._amount(amount)}, to: {to}, "
                               f"current: {self._amount(current)}, cap: {self._amount(self.per_window)}",
                               {"error": "PerTimeCapExceeded", "asset": self.name, "requested": amount,
                                "current": current, "cap": self.per_window,
                                "windowSeconds": self.window_seconds})
            ticket = (now, amount)
            entries.append(ticket)
            return ticket

    def release(self, to: str, ticket: tuple[float, int]) -> None:
        """Give back a reservation whose transaction failed (nothing was sent)."""
        with self._lock:
            entries = self._granted.get(to)
            if entries and ticket in entries:
                entries.remove(ticket)


def _env_amount(name: str, default: int, unit: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default * unit
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise FaucetConfigError(f"{name}={raw!r} is not a number") from None
    if value <= 0 or value * unit != int(value * unit):
        raise FaucetConfigError(f"{name}={raw!r} must be positive and at most {len(str(unit)) - 1} decimals")
    return int(value * unit)


@dataclass
class FaucetLimits:
    sol: AssetLimit
    usdc: AssetLimit

    @classmethod
    def from_env(cls, clock: Callable[[], float] = time.monotonic) -> "FaucetLimits":
        raw_window = os.environ.get(ENV_WINDOW, "").strip()
        try:
            window = float(raw_window) if raw_window else float(DEFAULT_WINDOW_SECONDS)
        except ValueError:
            raise FaucetConfigError(f"{ENV_WINDOW}={raw_window!r} is not a number") from None
        if window <= 0:
            raise FaucetConfigError(f"{ENV_WINDOW} must be positive")
        return cls(
            sol=AssetLimit("SOL", "◎", LAMPORTS_PER_SOL,
                           _env_amount(ENV_SOL_REQUEST, DEFAULT_SOL_PER_REQUEST, LAMPORTS_PER_SOL),
                           _env_amount(ENV_SOL_WINDOW, DEFAULT_SOL_PER_WINDOW, LAMPORTS_PER_SOL), window, clock),
            usdc=AssetLimit("USDC", "", USDC_BASE_UNITS,
                            _env_amount(ENV_USDC_REQUEST, DEFAULT_USDC_PER_REQUEST, USDC_BASE_UNITS),
                            _env_amount(ENV_USDC_WINDOW, DEFAULT_USDC_PER_WINDOW, USDC_BASE_UNITS), window, clock),
        )

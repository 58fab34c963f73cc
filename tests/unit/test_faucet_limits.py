"""The faucet caps' window logic (the cluster-level attack is tests/adversarial/test_faucet_drain.py).

A clock is injected so the sliding window can be walked through without waiting an hour."""
from __future__ import annotations

import pytest

from localnet.rpc.errors import RpcError
from localnet.rpc.faucet_limits import FaucetConfigError, FaucetLimits


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def limits(monkeypatch, **env: str) -> tuple[FaucetLimits, Clock]:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    clock = Clock()
    return FaucetLimits.from_env(clock), clock


def test_window_slides_and_failed_sends_give_their_amount_back(monkeypatch):
    lim, clock = limits(monkeypatch, ANOMI_FAUCET_WINDOW_SECONDS="60", ANOMI_FAUCET_SOL_PER_REQUEST="2",
                        ANOMI_FAUCET_SOL_PER_WINDOW="5")
    sol = lim.sol
    assert (sol.per_request, sol.per_window, sol.window_seconds) == (2 * 10**9, 5 * 10**9, 60.0)
    with pytest.raises(RpcError) as exc:
        sol.reserve("A", 2 * 10**9 + 1)
    assert exc.value.message == "request too large; req: ◎2.000000001, cap: ◎2"
    first = sol.reserve("A", 2 * 10**9)
    clock.t += 30
    sol.reserve("A", 2 * 10**9)
    ticket = sol.reserve("A", 10**9)                 # exactly 5 SOL in the window
    with pytest.raises(RpcError) as exc:
        sol.reserve("A", 1)
    assert exc.value.data["error"] == "PerTimeCapExceeded"
    assert exc.value.message == "limit reached; req: ◎0.000000001, to: A, current: ◎5.000000001, cap: ◎5"
    sol.release("A", ticket)                         # its transaction failed: not counted
    sol.reserve("A", 10**9)
    sol.reserve("B", 2 * 10**9)                      # per address
    clock.t += 30.5                                  # the first grant leaves the window
    sol.reserve("A", 2 * 10**9)
    assert first not in sol._granted["A"]


def test_usdc_defaults_and_bad_configuration(monkeypatch):
    lim, _ = limits(monkeypatch)
    assert lim.usdc.per_request == 10**12 and lim.usdc.per_window == 10**13
    assert lim.sol.per_request == 1000 * 10**9 and lim.usdc.window_seconds == 3600
    with pytest.raises(RpcError) as exc:
        lim.usdc.reserve("A", 2**64 - 1)
    assert exc.value.to_json()["code"] == -32603
    assert exc.value.message == "request too large; req: 18446744073709.551615 USDC, cap: 1000000 USDC"
    for bad in ("0", "-1", "abc", "0.0000000001"):
        monkeypatch.setenv("ANOMI_FAUCET_SOL_PER_REQUEST", bad)
        with pytest.raises(FaucetConfigError):
            FaucetLimits.from_env()

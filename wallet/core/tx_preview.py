"""What a transaction would do to the user's balances, asked of the cluster before signing it away.

Why simulateTransaction with `accounts`: the cluster runs the very transaction the wallet is
about to send (same instructions, signer, compute-unit limit; only a later blockhash differs)
against its current state and returns the accounts as they would be afterwards
(shared/solana/FACTS.md, "simulateTransaction": `accounts: {addresses, encoding}` -> one
UiAccount or null per address; all null when the simulation failed). The balances before are
read with getMultipleAccounts just ahead of it, so the review shows "USDC 100 -> 0, SOL ...
(fee included)" as the program computes it, not as the wallet guesses it. A failing simulation
gives the program's error in words (tx_errors.py: the IDL name and message), and nothing is sent.

`preview_transaction` never raises for anything the cluster or the program says: every failure
(unreachable cluster, refused signature, program error) comes back as `TxPreview.error`.
"""
from __future__ import annotations

import asyncio
import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any, Sequence

import aiohttp
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.rpc.responses import SimulateTransactionResp
from solana.rpc.async_api import AsyncClient

from .amounts import format_amount
from .chain import NETWORK_ERRORS
from .tx import build_transaction
from .tx_errors import ProgramError, explain

TOKEN_AMOUNT_OFFSET = 64   # spl-token Account: mint 32, owner 32, amount u64 LE
RPC_TIMEOUT = 30.0


@dataclass(frozen=True)
class Watched:
    """One balance the review shows: SOL lamports of a wallet or the amount of a token account."""
    asset: str               # "SOL" or a token's symbol ("USDC")
    address: Pubkey
    decimals: int
    token: bool = False      # True: an spl-token account's amount, False: the account's lamports


@dataclass(frozen=True)
class BalanceChange:
    asset: str
    account: str
    before: int
    after: int
    decimals: int

    @property
    def delta(self) -> int:
        return self.after - self.before

    def words(self) -> str:
        """E.g. "USDC: -100 (100 -> 0)" in whole units, never base units."""
        sign = "+" if self.delta > 0 else "-" if self.delta < 0 else "±"
        return (f"{self.asset}: {sign}{format_amount(abs(self.delta), self.decimals)} "
                f"({format_amount(self.before, self.decimals)} -> {format_amount(self.after, self.decimals)})")


@dataclass(frozen=True)
class TxPreview:
    """The simulated outcome: the balance changes (empty when it failed), the error in words
    (None when it would succeed) and the network fee the cluster would charge."""
    changes: list[BalanceChange]
    error: str | None
    fee_lamports: int
    units_consumed: int | None = None
    program_error: ProgramError | None = None
    logs: tuple[str, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def delta(self, asset: str) -> int:
        return sum(c.delta for c in self.changes if c.asset == asset)

    def lines(self) -> list[str]:
        if self.error is not None:
            return [f"The cluster's simulation fails: {self.error}"]
        return [c.words() for c in self.changes] + [
            f"network fee {format_amount(self.fee_lamports, 9)} SOL (included in the SOL change)"]


def _balance(raw: Any, watched: Watched) -> int:
    """A UiAccount (base64 data) -> the watched balance; a missing account holds 0."""
    if raw is None:
        return 0
    if not watched.token:
        return int(raw["lamports"])
    data = base64.b64decode(raw["data"][0])
    if len(data) < TOKEN_AMOUNT_OFFSET + 8:
        return 0
    return struct.unpack_from("<Q", data, TOKEN_AMOUNT_OFFSET)[0]


async def _rpc(http: aiohttp.ClientSession, url: str, method: str, params: list[Any]) -> tuple[dict[str, Any], str]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=RPC_TIMEOUT)) as reply:
        text = await reply.text()
    doc = json.loads(text)
    if "error" in doc:
        err = doc["error"]
        raise _RpcRefused(f"the cluster refused the simulation: {err.get('message', err)}")
    return doc, text


class _RpcRefused(Exception):
    pass


async def preview_transaction(client: AsyncClient, rpc_url: str, instructions: Sequence[Instruction],
                              signers: Sequence[Keypair], watch: Sequence[Watched], *,
                              compute_unit_limit: int | None = None) -> TxPreview:
    """Simulate the transaction TxSender would send and diff the watched balances."""
    try:
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx, message = build_transaction(instructions, signers, blockhash, compute_unit_limit=compute_unit_limit)
        addresses = [str(w.address) for w in watch]
        async with aiohttp.ClientSession() as http:
            before_doc, _ = await _rpc(http, rpc_url, "getMultipleAccounts",
                                       [addresses, {"encoding": "base64", "commitment": "confirmed"}])
            sim_doc, sim_text = await _rpc(http, rpc_url, "simulateTransaction", [
                base64.b64encode(bytes(tx)).decode(),
                {"encoding": "base64", "sigVerify": True, "commitment": "confirmed",
                 "accounts": {"addresses": addresses, "encoding": "base64"}}])
        # the JSON parse of a small reply; solders types the error for tx_errors.explain
        parsed = SimulateTransactionResp.from_json(sim_text)
        if not isinstance(parsed, SimulateTransactionResp):   # an error reply (already raised above)
            raise _RpcRefused(f"the cluster refused the simulation: {parsed}")
        value = parsed.value
        raw = sim_doc["result"]["value"]
        fee = int(raw.get("fee") or 0) or 5000 * len(signers)
        logs = tuple(value.logs or ())
        if value.err is not None:
            text, perr = explain(value.err, message, list(logs))
            return TxPreview([], text, fee, value.units_consumed, perr, logs)
        before = before_doc["result"]["value"]
        after = raw.get("accounts") or [None] * len(watch)
        changes = [BalanceChange(w.asset, str(w.address), _balance(b, w), _balance(a, w), w.decimals)
                   for w, b, a in zip(watch, before, after)]
        return TxPreview(changes, None, fee, value.units_consumed, None, logs)
    except asyncio.CancelledError:
        raise
    except _RpcRefused as exc:
        return TxPreview([], str(exc), 0)
    except NETWORK_ERRORS as exc:
        return TxPreview([], f"the cluster at {rpc_url} is unreachable ({type(exc).__name__}): nothing was sent", 0)
    except Exception as exc:  # noqa: BLE001 - a malformed reply is said, never raised into the review
        return TxPreview([], f"the simulation could not be read ({type(exc).__name__}: {exc})", 0)

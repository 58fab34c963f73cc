"""Send transactions the careful way: simulate, send, track confirmation, retry on expiry.

Why each step: simulation first means a transaction that would fail costs no fee and the
user sees the program's own error name (tx_errors.py) before anything is signed away; the
send skips the node's second preflight. Confirmation is tracked with getSignatureStatuses
against the blockhash's last valid block height: once the chain has passed it, the transaction
can never land, so it is rebuilt with a fresh blockhash, re-signed and sent again (bounded
attempts). A transaction that landed and failed is reported, never retried.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Sequence

from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionErrorFieldless

from .events import EventBus
from .network_words import describe_network_error
from .tx_errors import ProgramError, explain, user_explanation


class TxError(Exception):
    """A transaction that would fail or did fail; `str()` is the readable reason."""

    def __init__(self, text: str, *, program_error: ProgramError | None = None,
                 logs: Sequence[str] = (), signature: Signature | None = None):
        super().__init__(text)
        self.program_error = program_error
        self.logs = list(logs)
        self.signature = signature


@dataclass(frozen=True)
class TxSubmitted:
    signature: str
    attempt: int


@dataclass(frozen=True)
class TxConfirmed:
    signature: str
    slot: int
    logs: tuple[str, ...] = ()   # the transaction's log messages (the GUI's activity view)


@dataclass(frozen=True)
class TxFailed:
    signature: str | None
    reason: str
    logs: tuple[str, ...] = ()


@dataclass
class SentTx:
    signature: Signature
    slot: int
    attempts: int
    logs: list[str] = field(default_factory=list)
    compute_units: int | None = None


class _Expired(Exception):
    pass


def build_transaction(instructions: Sequence[Instruction], signers: Sequence[Keypair], blockhash: Hash, *,
                      compute_unit_limit: int | None = None) -> tuple[VersionedTransaction, Message]:
    """The transaction exactly as TxSender sends it (and tx_preview.py simulates it): the
    compute-unit limit first when asked, signers[0] pays the fee."""
    ixs = list(instructions)
    if compute_unit_limit is not None:
        ixs.insert(0, set_compute_unit_limit(compute_unit_limit))
    message = Message.new_with_blockhash(ixs, signers[0].pubkey(), blockhash)
    return VersionedTransaction(message, list(signers)), message


class TxSender:
    def __init__(self, client: AsyncClient, *, bus: EventBus | None = None, max_attempts: int = 3,
                 confirm_timeout: float = 60.0, poll_interval: float = 0.2):
        self.client = client
        self.bus = bus
        self.max_attempts = max_attempts
        self.confirm_timeout = confirm_timeout
        self.poll_interval = poll_interval

    def _url(self) -> str:
        """The cluster's RPC URL, for messages (solana-py keeps it on its provider)."""
        return str(getattr(getattr(self.client, "_provider", None), "endpoint_uri", "") or "the RPC URL")

    def _publish(self, event: object) -> None:
        if self.bus is not None:
            self.bus.publish(event)

    async def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair], *,
                   compute_unit_limit: int | None = None,
                   first_blockhash: tuple[Hash, int] | None = None) -> SentTx:
        """Simulate, send and confirm; signers[0] pays the fee. `first_blockhash` lets a caller
        (or a test) supply the blockhash of the first attempt."""
        if not signers:
            raise TxError("a transaction needs at least one signer (the fee payer)")
        last_reason = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            blockhash, last_valid = first_blockhash if (attempt == 1 and first_blockhash) \
                else await self._latest_blockhash()
            tx, message = build_transaction(instructions, signers, blockhash,
                                            compute_unit_limit=compute_unit_limit)
            try:
                units = await self._simulate(tx, message)
                sig = await self._send_raw(tx, message)
                self._publish(TxSubmitted(str(sig), attempt))
                slot, logs = await self._confirm(sig, last_valid, message)
            except _Expired as exc:
                last_reason = str(exc)
                continue
            self._publish(TxConfirmed(str(sig), slot, tuple(logs)))
            return SentTx(sig, slot, attempt, logs, units)
        self._publish(TxFailed(None, last_reason))
        raise TxError(f"not confirmed after {self.max_attempts} attempts: {last_reason}")

    async def _latest_blockhash(self) -> tuple[Hash, int]:
        value = (await self.client.get_latest_blockhash()).value
        return value.blockhash, value.last_valid_block_height

    async def _simulate(self, tx: VersionedTransaction, message: Message) -> int | None:
        value = (await self.client.simulate_transaction(tx, sig_verify=True)).value
        if value.err is None:
            return value.units_consumed
        if value.err == TransactionErrorFieldless.BlockhashNotFound:
            raise _Expired("the blockhash expired before simulation")
        text, perr = explain(value.err, message, list(value.logs or []))
        self._publish(TxFailed(None, text, tuple(value.logs or ())))
        words, _ = user_explanation(value.err, message, list(value.logs or []))
        raise TxError(f"simulation failed, nothing was sent: {words}", program_error=perr,
                      logs=value.logs or [])

    async def _send_raw(self, tx: VersionedTransaction, message: Message) -> Signature:
        try:
            resp = await self.client.send_raw_transaction(
                bytes(tx), TxOpts(skip_preflight=True, skip_confirmation=True))
        except (RPCException, SolanaRpcException) as exc:
            if "BlockhashNotFound" in str(exc) or "Blockhash not found" in str(exc):
                raise _Expired("the blockhash expired before sending") from exc
            raise TxError(describe_network_error(exc, self._url(), "send the transaction")) from exc
        return resp.value

    async def _confirm(self, sig: Signature, last_valid: int, message: Message) -> tuple[int, list[str]]:
        deadline = time.monotonic() + self.confirm_timeout
        while time.monotonic() < deadline:
            status = (await self.client.get_signature_statuses([sig])).value[0]
            if status is not None and status.confirmation_status is not None:
                if status.err is not None:
                    logs = await self._logs(sig)
                    text, perr = explain(status.err, message, logs)
                    self._publish(TxFailed(str(sig), text, tuple(logs)))
                    raise TxError(user_explanation(status.err, message, logs)[0], program_error=perr,
                                  logs=logs, signature=sig)
                return status.slot, await self._logs(sig)
            if (await self.client.get_block_height()).value > last_valid:
                raise _Expired(f"{sig} expired unconfirmed (blockhash too old)")
            await asyncio.sleep(self.poll_interval)
        raise TxError(f"transaction {str(sig)[:8]}… was not confirmed within {self.confirm_timeout:.0f}s",
                      signature=sig)

    async def _logs(self, sig: Signature) -> list[str]:
        try:
            tx = (await self.client.get_transaction(sig, max_supported_transaction_version=0)).value
        except (RPCException, SolanaRpcException):
            return []
        meta = tx.transaction.meta if tx is not None else None
        return list(meta.log_messages or []) if meta is not None else []

"""JSON-RPC error objects with Solana's (Agave's) exact codes and messages.

Why one exception type: every method handler, parameter parser and encoder raises ``RpcError``
and the dispatcher turns it into ``{"code","message"[,"data"]}``. Clients key on the codes
(solana-py/solders even *require* ``data`` for -32002, -32005 and -32016 and panic without it),
so the codes and message formats below are copied from jsonrpc-core and Agave's
``custom_error.rs`` (see shared/solana/FACTS.md §1.1-1.2).
"""
from __future__ import annotations

from typing import Any

# Display texts of TransactionError / InstructionError (the `-32002` message tail) are the
# runtime's: the same text appears in "Program X failed: ..." log lines.
from localnet.runtime.errors import instruction_error_text, transaction_error_text  # noqa: F401 (re-export)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

BLOCK_CLEANED_UP = -32001
SEND_TX_PREFLIGHT_FAILURE = -32002
TX_SIGNATURE_VERIFICATION_FAILURE = -32003
BLOCK_NOT_AVAILABLE = -32004
NODE_UNHEALTHY = -32005
SLOT_SKIPPED = -32007
TX_HISTORY_NOT_AVAILABLE = -32011
UNSUPPORTED_TX_VERSION = -32015
MIN_CONTEXT_SLOT_NOT_REACHED = -32016

_NO_DATA = object()


class RpcError(Exception):
    """A JSON-RPC error reply. ``data`` is omitted from the wire unless given (even as None)."""

    def __init__(self, code: int, message: str, data: Any = _NO_DATA) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not _NO_DATA:
            out["data"] = self.data
        return out


def parse_error() -> RpcError:
    return RpcError(PARSE_ERROR, "Parse error")


def invalid_request(message: str = "Invalid request") -> RpcError:
    return RpcError(INVALID_REQUEST, message)


def method_not_found() -> RpcError:
    return RpcError(METHOD_NOT_FOUND, "Method not found")


def invalid_params(message: str) -> RpcError:
    """jsonrpc-core's ``Error::invalid_params(msg)``: the message is used verbatim."""
    return RpcError(INVALID_PARAMS, message)


def params_deserialize_error(detail: str) -> RpcError:
    """A serde failure while reading params: ``Invalid params: <serde error>.``"""
    return RpcError(INVALID_PARAMS, f"Invalid params: {detail}.")


def internal_error(detail: str | None = None) -> RpcError:
    return RpcError(INTERNAL_ERROR, "Internal error" if detail is None else f"Internal error: {detail}")


def min_context_slot_not_reached(context_slot: int) -> RpcError:
    return RpcError(MIN_CONTEXT_SLOT_NOT_REACHED, "Minimum context slot has not been reached",
                    {"contextSlot": context_slot})


def signature_verification_failure() -> RpcError:
    return RpcError(TX_SIGNATURE_VERIFICATION_FAILURE, "Transaction signature verification failure")


def preflight_failure(err_display: str, simulation: dict[str, Any]) -> RpcError:
    """-32002 always carries the full RpcSimulateTransactionResult (solders requires ``data``)."""
    return RpcError(SEND_TX_PREFLIGHT_FAILURE, f"Transaction simulation failed: {err_display}", simulation)


def block_not_available(slot: int) -> RpcError:
    return RpcError(BLOCK_NOT_AVAILABLE, f"Block not available for slot {slot}")


def block_cleaned_up(slot: int, first_available: int) -> RpcError:
    return RpcError(BLOCK_CLEANED_UP,
                    f"Block {slot} cleaned up, does not exist on node. First available block: {first_available}")


def slot_skipped(slot: int) -> RpcError:
    return RpcError(SLOT_SKIPPED, f"Slot {slot} was skipped, or missing due to ledger jump to recent snapshot")


def clock_warp_disabled() -> RpcError:
    """anomi_warpClock on a cluster started without --allow-clock-warp (a dev/test-only switch)."""
    return RpcError(METHOD_NOT_FOUND, "Method not found: anomi_warpClock is disabled on this cluster; it is "
                                      "a dev/test tool enabled by `anomi localnet up --allow-clock-warp`")


def unsupported_tx_version(version: int) -> RpcError:
    return RpcError(
        UNSUPPORTED_TX_VERSION,
        f"Transaction version ({version}) is not supported by the requesting client. Please try the "
        f'request again with the following configuration parameter: "maxSupportedTransactionVersion": {version}',
    )

"""JSON-RPC error objects with Solana's (Agave's) exact codes and messages.

Why one exception type: every method handler, parameter parser and encoder raises ``RpcError``
and the dispatcher turns it into ``{"code","message"[,"data"]}``. Clients key on the codes
(solana-py/solders even *require* ``data`` for -32002, -32005 and -32016 and panic without it),
so the codes and message formats below are copied from jsonrpc-core and Agave's
``custom_error.rs`` (see shared/solana/FACTS.md §1.1-1.2).
"""
from __future__ import annotations

from typing import Any

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


# --- Display texts of TransactionError / InstructionError (solana-sdk), for -32002 messages ---

_TX_ERROR_TEXT = {
    "AccountInUse": "Account in use",
    "AccountLoadedTwice": "Account loaded twice",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "InvalidAccountForFee": "This account may not be used to pay transaction fees",
    "AlreadyProcessed": "This transaction has already been processed",
    "BlockhashNotFound": "Blockhash not found",
    "CallChainTooDeep": "Loader call chain is too deep",
    "MissingSignatureForFee": "Transaction requires a fee but has no signature present",
    "InvalidAccountIndex": "Transaction contains an invalid account reference",
    "SignatureFailure": "Transaction did not pass signature verification",
    "InvalidProgramForExecution": "This program may not be used for executing instructions",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
    "ClusterMaintenance": "Transactions are currently disabled due to cluster maintenance",
    "AccountBorrowOutstanding": "Transaction processing left an account with an outstanding borrowed reference",
    "UnsupportedVersion": "Transaction version is unsupported",
    "InvalidWritableAccount": "Transaction loads a writable account that cannot be written",
    "TooManyAccountLocks": "Transaction locked too many accounts",
    "AddressLookupTableNotFound": "Transaction loads an address table account that doesn't exist",
    "InvalidRentPayingAccount": "Transaction leaves an account with a lower balance than rent-exempt minimum",
    "MaxLoadedAccountsDataSizeExceeded": "Transaction exceeded max loaded accounts data size cap",
    "UnbalancedTransaction": "Sum of account balances before and after transaction do not match",
}

_IX_ERROR_TEXT = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "InsufficientFunds": "insufficient funds for instruction",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "UnbalancedInstruction": "sum of account balances before and after instruction do not match",
    "ModifiedProgramId": "instruction illegally modified the program id of an account",
    "ExternalAccountLamportSpend": "instruction spent from the balance of an account it does not own",
    "ExternalAccountDataModified": "instruction modified data of an account it does not own",
    "ReadonlyLamportChange": "instruction changed the balance of a read-only account",
    "ReadonlyDataModified": "instruction modified data of a read-only account",
    "DuplicateAccountIndex": "instruction contains duplicate accounts",
    "ExecutableModified": "instruction changed executable bit of an account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "AccountDataSizeChanged": "program other than the account's owner changed the size of the account data",
    "AccountNotExecutable": "instruction expected an executable account",
    "CallDepth": "Cross-program invocation call depth too deep",
    "MissingAccount": "An account required by the instruction is missing",
    "ReentrancyNotAllowed": "Cross-program invocation reentrancy not allowed for this instruction",
    "MaxSeedLengthExceeded": "Length of the seed is too long for address generation",
    "InvalidSeeds": "Provided seeds do not result in a valid address",
    "InvalidRealloc": "Failed to reallocate account data",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "PrivilegeEscalation": "Cross-program invocation with unauthorized signer or writable account",
    "ProgramFailedToComplete": "Program failed to complete",
    "Immutable": "Account is immutable",
    "IncorrectAuthority": "Incorrect authority provided",
    "AccountNotRentExempt": "An account does not have enough lamports to be rent-exempt",
    "InvalidAccountOwner": "Invalid account owner",
    "ArithmeticOverflow": "Program arithmetic overflowed",
    "IllegalOwner": "Provided owner is not allowed",
    "MaxInstructionTraceLengthExceeded": "Max instruction trace length exceeded",
}


def instruction_error_text(err: Any) -> str:
    if isinstance(err, dict) and "Custom" in err:
        return f"custom program error: {int(err['Custom']):#x}"
    if isinstance(err, dict) and "BorshIoError" in err:
        return "Failed to serialize or deserialize account data: Unknown"
    if isinstance(err, str):
        return _IX_ERROR_TEXT.get(err, err)
    return str(err)


def transaction_error_text(err: Any) -> str:
    """Display of Solana's TransactionError given its JSON form (the `-32002` message tail)."""
    if isinstance(err, str):
        return _TX_ERROR_TEXT.get(err, err)
    if isinstance(err, dict) and len(err) == 1:
        (name, value), = err.items()
        if name == "InstructionError" and isinstance(value, list) and len(value) == 2:
            return f"Error processing Instruction {value[0]}: {instruction_error_text(value[1])}"
        if name == "InsufficientFundsForRent" and isinstance(value, dict):
            return f"Transaction results in an account ({value.get('account_index')}) with insufficient funds for rent"
        if name == "DuplicateInstruction":
            return f"Transaction contains a duplicate instruction ({value}) that is not allowed"
        return f"{name}: {value}"
    return str(err)

"""Transaction methods: send, simulate, statuses, history, SOL and USDC faucets.

Why sendTransaction answers only after the durable commit: the worker group-commits the batch
and the signature's status is queryable the moment the reply leaves, so clients that poll
getSignatureStatuses (solana-py) or subscribe (web3.js) confirm on their first look. With
preflight (the default) a transaction that fails is refused with -32002 (logs, unitsConsumed)
and changes nothing, as on a real validator; the Bank executes it once and commits it only on
success, instead of simulating and then executing again.
"""
from __future__ import annotations

from typing import Any

from solders.transaction import VersionedTransaction

from localnet.rpc import params as P
from localnet.rpc.context import RpcContext
from localnet.rpc.faucet_limits import AssetLimit
from localnet.rpc.encoders import (
    decode_transaction, encode_account, return_data_json, status_json, tx_encoding, ui_transaction,
    with_context,
)
from localnet.rpc.errors import (
    RpcError, internal_error, invalid_params, params_deserialize_error, preflight_failure,
    signature_verification_failure, transaction_error_text, unsupported_tx_version,
)
from localnet.rpc.methods_accounts import decimals_lookup
from localnet.rpc.parsed_tx import parsed_message, parsed_meta


def loaded_accounts_data_size(bank: Any, tx: VersionedTransaction, err: Any) -> int:
    """Sum of the data sizes of the accounts the transaction loaded (Agave's
    ``loadedAccountsDataSize``). A transaction refused before loading (blockhash, duplicate,
    signature, fee payer: a plain string error) loaded nothing: 0, as Agave reports it. Runs on
    the worker; a refused or simulated transaction changed nothing, so the current accounts
    are the ones it loaded.
    """
    if err is not None and not isinstance(err, dict):
        return 0
    total = 0
    for key in tx.message.account_keys:
        account = bank.get_account(key)
        if account is not None:
            total += len(account.data)
    return total


def simulation_json(r: Any, *, accounts: Any = None, replacement: Any = None,
                    inner: bool = False, full: bool = True, loaded_size: int = 0) -> dict[str, Any]:
    """RpcSimulateTransactionResult; every key serialised (absent -> null), as Agave does."""
    out: dict[str, Any] = {
        "err": r.err,
        "logs": list(r.logs),
        "accounts": accounts,
        "unitsConsumed": r.compute_units_consumed,
        "loadedAccountsDataSize": loaded_size,
        "returnData": return_data_json(r.return_data),
        "innerInstructions": list(r.inner_instructions) if inner else None,
        "replacementBlockhash": replacement,
    }
    if full:
        out.update({
            "fee": r.fee,
            "preBalances": list(r.pre_balances),
            "postBalances": list(r.post_balances),
            "preTokenBalances": list(r.pre_token_balances),
            "postTokenBalances": list(r.post_token_balances),
        })
    return out


def _refuse(r: Any, loaded_size: int) -> RpcError:
    return preflight_failure(transaction_error_text(r.err), simulation_json(r, full=False, loaded_size=loaded_size))


async def send_transaction(ctx: RpcContext, params: Any) -> Any:
    encoded, cfg = P.positional(params, 1, 2)
    cfg = P.config(cfg)
    encoding = tx_encoding(cfg)
    skip = cfg.get("skipPreflight")
    skip = False if skip is None else P.expect_bool(skip)
    if cfg.get("preflightCommitment") is not None:
        P.commitment({"commitment": cfg["preflightCommitment"]})
    if cfg.get("maxRetries") is not None:
        P.expect_u64(cfg["maxRetries"], "usize")
    tx, _raw = decode_transaction(encoded, encoding)
    if not tx.signatures:
        raise invalid_params("invalid transaction: Transaction requires a fee but has no signature present")
    signature = tx.signatures[0]
    if not skip:
        P.raise_if_not_reached(cfg, ctx.bank.slot)
        if not all(tx.verify_with_results()):
            raise signature_verification_failure()
    if ctx.on_received is not None:
        ctx.on_received(signature)
    outcome = await ctx.worker.send(tx, preflight=not skip, verified=not skip)
    if outcome.preflight is not None:
        err = outcome.preflight.err
        raise _refuse(outcome.preflight, await ctx.run(lambda: loaded_accounts_data_size(ctx.bank, tx, err)))
    return str(signature)


async def simulate_transaction(ctx: RpcContext, params: Any) -> Any:
    encoded, cfg = P.positional(params, 1, 2)
    cfg = P.config(cfg)
    encoding = tx_encoding(cfg)
    P.commitment(cfg)
    sig_verify = P.expect_bool(cfg["sigVerify"]) if cfg.get("sigVerify") is not None else False
    replace = (P.expect_bool(cfg["replaceRecentBlockhash"])
               if cfg.get("replaceRecentBlockhash") is not None else False)
    inner = P.expect_bool(cfg["innerInstructions"]) if cfg.get("innerInstructions") is not None else False
    if sig_verify and replace:
        raise invalid_params("sigVerify may not be used with replaceRecentBlockhash")
    tx, _raw = decode_transaction(encoded, encoding)
    if sig_verify and not all(tx.verify_with_results()):
        raise signature_verification_failure()  # Agave's verify_transaction: -32003, not a result
    want = cfg.get("accounts")
    addresses = None
    acc_encoding = "base64"
    if want is not None:
        if not isinstance(want, dict) or "addresses" not in want:
            raise params_deserialize_error("missing field `addresses`")
        acc_encoding = P.account_encoding(want, "base64")
        if acc_encoding in ("binary", "base58"):
            raise invalid_params("base58 encoding not supported")
        addresses = P.pubkey_list(want["addresses"], 1 << 16)
        n_keys = len(tx.message.account_keys)
        if len(addresses) > n_keys:
            raise invalid_params(f"Too many accounts provided; max {n_keys}")

    def work() -> Any:
        bank = ctx.bank
        slot = bank.slot
        P.raise_if_not_reached(cfg, slot)
        r = bank.simulate_transaction(tx, sig_verify=sig_verify, replace_recent_blockhash=replace,
                                      accounts=addresses)
        accounts = None
        if addresses is not None:
            if r.err is not None:
                accounts = [None] * len(addresses)
            else:
                lookup = decimals_lookup(bank)
                accounts = [None if a is None else encode_account(a, acc_encoding, None, lookup)
                            for a in r.accounts]
        replacement = None
        if replace:
            h, last_valid = bank.latest_blockhash()
            replacement = {"blockhash": str(h), "lastValidBlockHeight": last_valid}
        loaded = loaded_accounts_data_size(bank, tx, r.err)
        return with_context(slot, simulation_json(r, accounts=accounts, replacement=replacement, inner=inner,
                                                  loaded_size=loaded))
    return await ctx.run(work)


def status_entry(status: Any) -> dict[str, Any] | None:
    if status is None:
        return None
    return {"slot": status.slot, "confirmations": None, "status": status_json(status.err),
            "err": status.err, "confirmationStatus": "finalized"}


async def get_signature_statuses(ctx: RpcContext, params: Any) -> Any:
    sigs, cfg = P.positional(params, 1, 2)
    if not isinstance(sigs, list):
        raise params_deserialize_error(f"invalid type: {P.json_type(sigs)}, expected a sequence")
    if len(sigs) > P.MAX_SIGNATURE_STATUS_INPUTS:
        raise invalid_params(f"Too many inputs provided; max {P.MAX_SIGNATURE_STATUS_INPUTS}")
    signatures = [P.signature(s) for s in sigs]
    cfg = P.config(cfg)
    if cfg.get("searchTransactionHistory") is not None:
        P.expect_bool(cfg["searchTransactionHistory"])

    return await ctx.contextual({}, lambda bank: [status_entry(s) for s in bank.get_signature_statuses(signatures)])


def transaction_json(stored: Any, encoding: str, max_version: int | None) -> dict[str, Any]:
    """EncodedConfirmedTransactionWithStatusMeta from the Bank's StoredTransaction."""
    raw = bytes(stored.tx_bytes)
    tx = VersionedTransaction.from_bytes(raw)
    version = stored.version
    is_legacy = version == "legacy"
    if not is_legacy and (max_version is None or int(version) > max_version):
        raise unsupported_tx_version(int(version))
    meta = dict(stored.meta) if stored.meta is not None else None
    if meta is not None:
        meta.setdefault("status", status_json(meta.get("err")))
    if encoding == "jsonParsed":
        transaction: Any = {"signatures": [str(s) for s in tx.signatures], "message": parsed_message(tx)}
        if meta is not None:
            meta = parsed_meta(meta, tx)
    else:
        transaction = ui_transaction(tx, raw, encoding)
    out: dict[str, Any] = {"slot": stored.slot, "transaction": transaction,
                           "meta": meta, "blockTime": stored.block_time}
    if max_version is not None:
        out["version"] = "legacy" if is_legacy else int(version)
    return out


async def get_transaction(ctx: RpcContext, params: Any) -> Any:
    raw_sig, cfg = P.positional(params, 1, 2)
    signature = P.signature(raw_sig)
    if isinstance(cfg, str):  # the legacy form: a bare encoding string
        cfg = {"encoding": cfg}
    cfg = P.config(cfg)
    P.at_least_confirmed(cfg)
    encoding = cfg.get("encoding") or "json"
    if encoding not in ("json", "jsonParsed", "base64", "base58", "binary"):
        raise params_deserialize_error(f"unknown variant {P.json_type(encoding)}, expected one of "
                                       "`binary`, `base64`, `base58`, `json`, `jsonParsed`")
    max_version = cfg.get("maxSupportedTransactionVersion")
    if max_version is not None:
        P.expect_u64(max_version, "u8")

    def work() -> Any:
        stored = ctx.bank.get_transaction(signature)
        return None if stored is None else transaction_json(stored, encoding, max_version)
    return await ctx.run(work)


async def get_signatures_for_address(ctx: RpcContext, params: Any) -> Any:
    """Newest first; ``before``/``until`` are exclusive cursors, ``limit`` 1..1000 (default 1000)."""
    key, cfg = P.positional(params, 1, 2)
    address = P.pubkey(key)
    cfg = P.config(cfg)
    before = P.signature(cfg["before"]) if cfg.get("before") is not None else None
    until = P.signature(cfg["until"]) if cfg.get("until") is not None else None
    limit = P.MAX_SIGNATURES_FOR_ADDRESS_LIMIT
    if cfg.get("limit") is not None:
        limit = P.expect_u64(cfg["limit"], "usize")
    if limit == 0 or limit > P.MAX_SIGNATURES_FOR_ADDRESS_LIMIT:
        raise invalid_params(f"Invalid limit; max {P.MAX_SIGNATURES_FOR_ADDRESS_LIMIT}")
    P.at_least_confirmed(cfg)

    def work() -> Any:
        P.raise_if_not_reached(cfg, ctx.bank.slot)
        entries = ctx.bank.get_signatures_for_address(address, before=before, until=until, limit=limit)
        return [{"signature": str(e.signature), "slot": e.slot, "err": e.err, "memo": e.memo,
                 "blockTime": e.block_time, "confirmationStatus": "finalized"} for e in entries]
    return await ctx.run(work)


async def _faucet(ctx: RpcContext, params: Any, send: str, what: str, limit: AssetLimit) -> str:
    """``[pubkey, amount, {commitment?}]`` -> signature of the faucet's ``bank.<send>(pubkey, amount)``.

    The amount is checked against the per-request cap and the address's window first
    (``faucet_limits``); a refused request sends nothing."""
    key, raw_amount, cfg = P.positional(params, 2, 3)
    to = P.pubkey(key)
    amount = P.expect_u64(raw_amount)
    P.commitment(P.config(cfg))
    ticket = limit.reserve(str(to), amount)
    r = await ctx.run(lambda: getattr(ctx.bank, send)(to, amount))
    if r.err is not None or not r.recorded:
        limit.release(str(to), ticket)
        raise internal_error(f"{what} failed: {transaction_error_text(r.err)}")
    return str(r.signature)


async def request_airdrop(ctx: RpcContext, params: Any) -> Any:
    return await _faucet(ctx, params, "airdrop", "airdrop", ctx.faucet_limits.sol)


async def anomi_request_token_airdrop(ctx: RpcContext, params: Any) -> Any:
    """Non-standard USDC faucet: ``[ownerPubkey, amountBaseUnits]`` -> signature."""
    return await _faucet(ctx, params, "faucet_token", "token airdrop", ctx.faucet_limits.usdc)


METHODS = {
    "sendTransaction": send_transaction,
    "simulateTransaction": simulate_transaction,
    "getSignatureStatuses": get_signature_statuses,
    "getTransaction": get_transaction,
    "getSignaturesForAddress": get_signatures_for_address,
    "requestAirdrop": request_airdrop,
    "anomi_requestTokenAirdrop": anomi_request_token_airdrop,
}

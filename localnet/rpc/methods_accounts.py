"""Account-reading methods: getAccountInfo, getMultipleAccounts, getProgramAccounts, balances,
token accounts, rent.

Why the Bank reads and the encoding run together on the worker: jsonParsed token accounts need
their mint's decimals, and reading both in one worker call gives one consistent view.
"""
from __future__ import annotations

from typing import Any, Callable

from solders.pubkey import Pubkey

from localnet.rpc import params as P
from localnet.rpc.context import RpcContext
from localnet.rpc.encoders import (
    TOKEN_ACCOUNT_LEN, TOKEN_PROGRAMS, encode_account, mint_decimals, ui_token_amount, with_context,
)
from localnet.rpc.errors import invalid_params, invalid_request, params_deserialize_error

MAX_PERMITTED_DATA_LENGTH = 10 * 1024 * 1024


def decimals_lookup(bank: Any) -> Callable[[Pubkey], int | None]:
    """Mint -> decimals, memoised for one request (call on the worker thread only)."""
    cache: dict[Pubkey, int | None] = {}

    def lookup(mint: Pubkey) -> int | None:
        if mint not in cache:
            acc = bank.get_account(mint)
            cache[mint] = mint_decimals(acc.data) if acc is not None and acc.owner in TOKEN_PROGRAMS else None
        return cache[mint]
    return lookup


def _account_options(cfg: dict[str, Any], default_encoding: str) -> tuple[str, Any]:
    P.commitment(cfg)
    encoding = P.account_encoding(cfg, default_encoding)
    return encoding, P.data_slice(cfg)


async def get_account_info(ctx: RpcContext, params: Any) -> Any:
    pubkey, cfg = P.key_and_config(params, P.pubkey)
    encoding, data_slice = _account_options(cfg, "binary")

    def read(bank: Any) -> Any:
        acc = bank.get_account(pubkey)
        return None if acc is None else encode_account(acc, encoding, data_slice, decimals_lookup(bank))
    return await ctx.contextual(cfg, read)


async def get_multiple_accounts(ctx: RpcContext, params: Any) -> Any:
    pubkeys, cfg = P.key_and_config(params, lambda keys: P.pubkey_list(keys, P.MAX_MULTIPLE_ACCOUNTS))
    encoding, data_slice = _account_options(cfg, "base64")

    def read(bank: Any) -> Any:
        lookup = decimals_lookup(bank)
        return [None if a is None else encode_account(a, encoding, data_slice, lookup)
                for a in bank.get_multiple_accounts(pubkeys)]
    return await ctx.contextual(cfg, read)


def _keyed(bank: Any, rows: list, encoding: str, data_slice: Any) -> list[dict[str, Any]]:
    lookup = decimals_lookup(bank)
    return [{"pubkey": str(k), "account": encode_account(a, encoding, data_slice, lookup)} for k, a in rows]


def _query_program(bank: Any, program: Pubkey, flt: P.Filters) -> list:
    if len(set(flt.data_sizes)) > 1:
        return []
    rows = bank.get_program_accounts(program, data_size=flt.data_sizes[0] if flt.data_sizes else None,
                                     memcmp=list(flt.memcmp))
    if flt.token_account_state:
        rows = [(k, a) for k, a in rows if flt.matches(a.data)]
    return sorted(rows, key=lambda r: bytes(r[0]))


async def get_program_accounts(ctx: RpcContext, params: Any) -> Any:
    key, cfg = P.positional(params, 1, 2)
    program = P.pubkey(key)
    cfg = P.config(cfg)
    encoding, data_slice = _account_options(cfg, "binary")
    flt = P.filters(cfg.get("filters"))
    with_ctx = cfg.get("withContext")
    if with_ctx is not None:
        P.expect_bool(with_ctx)

    def work() -> Any:
        bank = ctx.bank
        slot = bank.slot
        P.raise_if_not_reached(cfg, slot)
        value = _keyed(bank, _query_program(bank, program, flt), encoding, data_slice)
        return with_context(slot, value) if with_ctx else value
    return await ctx.run(work)


async def get_balance(ctx: RpcContext, params: Any) -> Any:
    pubkey, cfg = P.key_and_config(params, P.pubkey)

    def read(bank: Any) -> int:
        acc = bank.get_account(pubkey)
        return 0 if acc is None else acc.lamports
    return await ctx.contextual(cfg, read)


async def get_token_account_balance(ctx: RpcContext, params: Any) -> Any:
    pubkey, cfg = P.key_and_config(params, P.pubkey)

    def read(bank: Any) -> Any:
        acc = bank.get_account(pubkey)
        if acc is None:
            raise invalid_params("Invalid param: could not find account")
        data = acc.data
        if acc.owner not in TOKEN_PROGRAMS or len(data) < TOKEN_ACCOUNT_LEN or data[108] not in (1, 2):
            raise invalid_params("Invalid param: not a Token account")
        decimals = decimals_lookup(bank)(Pubkey.from_bytes(data[0:32]))
        if decimals is None:
            raise invalid_params("Invalid param: could not find mint")
        return ui_token_amount(int.from_bytes(data[64:72], "little"), decimals)
    return await ctx.contextual(cfg, read)


async def get_token_accounts_by_owner(ctx: RpcContext, params: Any) -> Any:
    key, selector, cfg = P.positional(params, 2, 3)
    owner = P.pubkey(key)
    if not isinstance(selector, dict) or len(selector) != 1 or not ({"mint", "programId"} & selector.keys()):
        raise params_deserialize_error('invalid filter, expected `{"mint": <pubkey>}` or `{"programId": <pubkey>}`')
    mint = P.pubkey(selector["mint"]) if "mint" in selector else None
    program = P.pubkey(selector["programId"]) if "programId" in selector else None
    if program is not None and program not in TOKEN_PROGRAMS:
        raise invalid_params("Invalid param: unrecognized Token program id")
    cfg = P.config(cfg)
    encoding, data_slice = _account_options(cfg, "binary")

    def read(bank: Any) -> Any:
        token_program = program
        memcmp = [(32, bytes(owner))]
        if mint is not None:
            mint_acc = bank.get_account(mint)
            if mint_acc is None or mint_acc.owner not in TOKEN_PROGRAMS:
                raise invalid_params("Invalid param: not a Token mint")
            token_program = mint_acc.owner
            memcmp.insert(0, (0, bytes(mint)))
        rows = bank.get_program_accounts(token_program, data_size=TOKEN_ACCOUNT_LEN, memcmp=memcmp)
        rows = sorted((r for r in rows if r[1].data[108] in (1, 2)), key=lambda r: bytes(r[0]))
        return _keyed(bank, rows, encoding, data_slice)
    return await ctx.contextual(cfg, read)


async def get_minimum_balance_for_rent_exemption(ctx: RpcContext, params: Any) -> Any:
    size, cfg = P.positional(params, 1, 2)
    data_len = P.expect_u64(size, "usize")
    P.commitment(P.config(cfg))
    if data_len > MAX_PERMITTED_DATA_LENGTH:
        raise invalid_request()
    return ctx.bank.minimum_balance(data_len)


METHODS = {
    "getAccountInfo": get_account_info,
    "getMultipleAccounts": get_multiple_accounts,
    "getProgramAccounts": get_program_accounts,
    "getBalance": get_balance,
    "getTokenAccountBalance": get_token_account_balance,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
    "getMinimumBalanceForRentExemption": get_minimum_balance_for_rent_exemption,
}

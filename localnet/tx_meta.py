"""Transaction meta as Solana's RPC shows it: token balances and the stored meta JSON.

Why here: the Bank records this meta once per transaction and getTransaction serves it as
is, so its shape (UiTransactionStatusMeta, UiTransactionTokenBalance) is built in one place.
"""
from __future__ import annotations

from typing import Callable

from solders.pubkey import Pubkey

from localnet.programs.token_state import ACCOUNT_LEN, MINT_LEN, TOKEN_PROGRAM_ID, ui_token_amount


def token_balances(keys: list[Pubkey], states: list, mint_decimals: Callable[[Pubkey], int | None]) -> list[dict]:
    """UiTransactionTokenBalance for each initialised SPL token account among ``states``.

    ``states`` are objects with ``owner`` and ``data`` (StoredAccount / TxAccount) or None.
    """
    out = []
    for i, st in enumerate(states):
        if st is None or st.owner != TOKEN_PROGRAM_ID or len(st.data) != ACCOUNT_LEN:
            continue
        data = st.data
        if data[108] == 0 or (hasattr(st, "lamports") and st.lamports == 0):
            continue
        mint = Pubkey.from_bytes(bytes(data[0:32]))
        decimals = mint_decimals(mint)
        if decimals is None:
            continue
        out.append({
            "accountIndex": i,
            "mint": str(mint),
            "owner": str(Pubkey.from_bytes(bytes(data[32:64]))),
            "programId": str(TOKEN_PROGRAM_ID),
            "uiTokenAmount": ui_token_amount(int.from_bytes(data[64:72], "little"), decimals),
        })
    return out


def decimals_from(keys: list[Pubkey], states: list, fallback: Callable[[Pubkey], object]) -> Callable[[Pubkey], int | None]:
    """A mint -> decimals lookup preferring the transaction's own (post-state) accounts."""
    index = {k: i for i, k in enumerate(keys)}
    cache: dict[Pubkey, int | None] = {}

    def lookup(mint: Pubkey) -> int | None:
        if mint in cache:
            return cache[mint]
        i = index.get(mint)
        st = states[i] if i is not None else fallback(mint)
        dec = None
        if st is not None and st.owner == TOKEN_PROGRAM_ID and len(st.data) == MINT_LEN and st.data[45] == 1:
            dec = st.data[44]
        cache[mint] = dec
        return dec

    return lookup


def meta_json(err, fee: int, pre_balances: list[int], post_balances: list[int], logs: list[str],
              inner: list, pre_tokens: list[dict], post_tokens: list[dict], cu: int,
              return_data: tuple[Pubkey, bytes] | None) -> dict:
    import base64

    meta = {
        "err": err,
        "status": {"Ok": None} if err is None else {"Err": err},
        "fee": fee,
        "preBalances": pre_balances,
        "postBalances": post_balances,
        "innerInstructions": inner,
        "logMessages": logs,
        "preTokenBalances": pre_tokens,
        "postTokenBalances": post_tokens,
        "rewards": [],
        "loadedAddresses": {"writable": [], "readonly": []},
        "computeUnitsConsumed": cu,
    }
    if return_data is not None:
        meta["returnData"] = {"programId": str(return_data[0]),
                              "data": [base64.b64encode(return_data[1]).decode(), "base64"]}
    return meta

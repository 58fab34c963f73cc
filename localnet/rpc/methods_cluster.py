"""Cluster-state methods: slots, blockhashes, health, version, epoch, fees, cluster info.

Why these live together: none reads accounts or transactions; they describe the node itself.
On this single durable node every commitment level sees the same committed state, so the
commitment parameter is validated and then needs no further handling.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

from solders.message import from_bytes_versioned

from localnet.rpc import params as P
from localnet.rpc.context import RpcContext
from localnet.rpc.encoders import API_VERSION, FEATURE_SET
from localnet.rpc.errors import (
    block_cleaned_up, block_not_available, clock_warp_disabled, invalid_params, slot_skipped,
)

SLOTS_PER_EPOCH = 432_000
LAMPORTS_PER_SIGNATURE = 5000
COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111"
DEFAULT_CU_PER_INSTRUCTION = 200_000
MAX_CU = 1_400_000


def _slot_config(params: Any) -> dict[str, Any]:
    (cfg,) = P.positional(params, 0, 1)
    cfg = P.config(cfg)
    P.commitment(cfg)
    return cfg


async def get_latest_blockhash(ctx: RpcContext, params: Any) -> Any:
    cfg = _slot_config(params)

    def read(bank: Any) -> Any:
        h, last_valid = bank.latest_blockhash()
        return {"blockhash": str(h), "lastValidBlockHeight": last_valid}
    return await ctx.contextual(cfg, read)


async def get_slot(ctx: RpcContext, params: Any) -> Any:
    cfg = _slot_config(params)
    slot = ctx.bank.slot
    P.raise_if_not_reached(cfg, slot)
    return slot


async def get_block_height(ctx: RpcContext, params: Any) -> Any:
    cfg = _slot_config(params)
    P.raise_if_not_reached(cfg, ctx.bank.slot)
    return ctx.bank.block_height


async def get_health(ctx: RpcContext, params: Any) -> Any:
    P.positional(params, 0, 0)
    return "ok"


async def get_version(ctx: RpcContext, params: Any) -> Any:
    P.positional(params, 0, 0)
    return {"solana-core": API_VERSION, "feature-set": FEATURE_SET}


async def get_genesis_hash(ctx: RpcContext, params: Any) -> Any:
    P.positional(params, 0, 0)
    return ctx.genesis_hash


async def get_block_time(ctx: RpcContext, params: Any) -> Any:
    (raw,) = P.positional(params, 1, 1)
    slot = P.expect_u64(raw)

    def work() -> Any:
        bank = ctx.bank
        if slot > bank.slot:
            raise block_not_available(slot)
        first = bank.first_available_block()
        if slot < first:
            raise block_cleaned_up(slot, first)
        block_time = bank.get_block_time(slot)
        if block_time is None:
            raise slot_skipped(slot)
        return block_time
    return await ctx.run(work)


async def get_first_available_block(ctx: RpcContext, params: Any) -> Any:
    P.positional(params, 0, 0)
    return await ctx.run(ctx.bank.first_available_block)


async def get_epoch_info(ctx: RpcContext, params: Any) -> Any:
    cfg = _slot_config(params)

    def work() -> Any:
        slot = ctx.bank.slot
        P.raise_if_not_reached(cfg, slot)
        info = {"absoluteSlot": slot, "blockHeight": ctx.bank.block_height,
                "epoch": slot // SLOTS_PER_EPOCH, "slotIndex": slot % SLOTS_PER_EPOCH,
                "slotsInEpoch": SLOTS_PER_EPOCH}
        count = getattr(ctx.bank, "transaction_count", None)
        if isinstance(count, int):
            info["transactionCount"] = count
        return info
    return await ctx.run(work)


async def is_blockhash_valid(ctx: RpcContext, params: Any) -> Any:
    h, cfg = P.key_and_config(params, P.blockhash)
    return await ctx.contextual(cfg, lambda bank: bool(bank.is_blockhash_valid(h)))


def message_fee(message: Any) -> int:
    """5000 lamports per required signature plus the ComputeBudget prioritization fee."""
    fee = LAMPORTS_PER_SIGNATURE * message.header.num_required_signatures
    keys = [str(k) for k in message.account_keys]
    price = 0
    limit = None
    others = 0
    for ix in message.instructions:
        idx = ix.program_id_index
        data = bytes(ix.data)
        if idx < len(keys) and keys[idx] == COMPUTE_BUDGET_PROGRAM and data:
            if data[0] == 2 and len(data) >= 5:
                limit = int.from_bytes(data[1:5], "little")
            elif data[0] == 3 and len(data) >= 9:
                price = int.from_bytes(data[1:9], "little")
        else:
            others += 1
    if limit is None:
        limit = min(MAX_CU, DEFAULT_CU_PER_INSTRUCTION * others)
    limit = min(limit, MAX_CU)
    return fee + (price * limit + 999_999) // 1_000_000


async def get_fee_for_message(ctx: RpcContext, params: Any) -> Any:
    raw, cfg = P.positional(params, 1, 2)
    text = P.expect_str(raw)
    cfg = P.config(cfg)
    P.commitment(cfg)
    try:
        message = from_bytes_versioned(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError, Exception) as exc:  # solders raises non-ValueError types too
        raise invalid_params(f"invalid transaction message: {exc}") from None
    fee = message_fee(message)
    return await ctx.contextual(cfg, lambda bank: fee if bank.is_blockhash_valid(message.recent_blockhash) else None)


MAX_WARP_SECONDS = 100 * 365 * 86_400


async def anomi_warp_clock(ctx: RpcContext, params: Any) -> Any:
    """Non-standard, dev/test only: ``[seconds]`` moves the Clock's unix_timestamp forward.

    Refused unless the cluster was started with ``--allow-clock-warp``; a new slot carrying the
    warped Clock sysvar is produced before the reply, so the next transaction already sees it.
    """
    (raw,) = P.positional(params, 1, 1)
    if not ctx.allow_clock_warp:
        raise clock_warp_disabled()
    seconds = P.expect_u64(raw)
    if not 0 < seconds <= MAX_WARP_SECONDS:
        raise invalid_params(f"seconds must be 1..{MAX_WARP_SECONDS} (the clock only moves forward)")

    def work() -> Any:
        bank = ctx.bank
        bank.warp_clock(seconds)
        return {"slot": bank.slot, "unixTimestamp": bank.unix_timestamp}
    return await ctx.run(work)


async def anomi_cluster_info(ctx: RpcContext, params: Any) -> Any:
    """Non-standard: what a wallet needs to find its way around this cluster."""
    from protocol import program_ids

    P.positional(params, 0, 0)
    ids = {name.removesuffix("_PROGRAM_ID").lower(): str(value)
           for name, value in vars(program_ids).items() if name.endswith("_PROGRAM_ID")}
    return {
        "usdcMint": str(ctx.bank.usdc_mint),
        "usdcDecimals": 6,
        "faucet": str(ctx.bank.faucet.pubkey()),
        "programIds": ids,
        "genesisHash": ctx.genesis_hash,
        "rpcUrl": ctx.rpc_url,
        "wsUrl": ctx.ws_url,
        "railUrl": ctx.service_urls.get("rails"),
        "directoryUrl": ctx.service_urls.get("directory"),
        "services": dict(ctx.service_urls),
    }


METHODS = {
    "getLatestBlockhash": get_latest_blockhash,
    "getSlot": get_slot,
    "getBlockHeight": get_block_height,
    "getHealth": get_health,
    "getVersion": get_version,
    "getGenesisHash": get_genesis_hash,
    "getEpochInfo": get_epoch_info,
    "getBlockTime": get_block_time,
    "getFirstAvailableBlock": get_first_available_block,
    "isBlockhashValid": is_blockhash_valid,
    "getFeeForMessage": get_fee_for_message,
    "anomi_clusterInfo": anomi_cluster_info,
    "anomi_warpClock": anomi_warp_clock,
}

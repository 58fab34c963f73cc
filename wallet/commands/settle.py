"""`anomi payee|pay|prove|finalize|reclaim`: settling a matched order.

`anomi prove` has two meanings, told apart by its argument: `anomi prove ORDER_ID` proves the
rail payment for my matched order (also spelled `prove-payment`), `anomi prove REQUEST.json
-o PROOF.json` is the prover's offline proving of a request file (prover/cli.py owns that
parser; this module adds the wallet's options to it and dispatches), which
`prove --export-request` writes and `finalize --proof` imports.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from protocol.units import format_pkr, format_usdc
from wallet.core.atomic_file import write_atomic
from wallet.core.proof_jobs import ProofJobService
from wallet.core.settlement import Settlement
from wallet.core.trader import TradeContext

from protocol.cli_errors import CliError

from .session import add_common, emit
from .arg_types import order_id_arg
from .trading_session import add_account, run_trade, trade_command, trade_guarded


def _order_command(subparsers: argparse._SubParsersAction, name: str, help_text: str,
                   func) -> argparse.ArgumentParser:
    p = trade_command(subparsers, name, help_text, func)
    p.add_argument("order_id", type=order_id_arg, help="matched order number (see `anomi queue`)")
    return p


def register(subparsers: argparse._SubParsersAction) -> None:
    _order_command(subparsers, "payee", "the seller's payee details for my matched order", cmd_payee)
    _order_command(subparsers, "pay", "pay a matched order's fiat due on the rail", cmd_pay)
    p = _order_command(subparsers, "prove-payment", "prove the rail payment for a matched order "
                       "(same as `anomi prove ORDER_ID`)", cmd_prove)
    _order_prove_options(p)
    p.add_argument("-o", "--output", type=Path, metavar="PROOF.json", help="also write the proof file")
    _extend_prove(subparsers)
    p = _order_command(subparsers, "finalize", "submit the payment proof: the escrow goes to the buyer",
                       cmd_finalize)
    p.add_argument("--proof", type=Path, metavar="PROOF.json", help="use a proof file made elsewhere")
    _order_command(subparsers, "reclaim", "return an expired, unpaid order's escrow to its seller", cmd_reclaim)


def _order_prove_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--export-request", type=Path, metavar="REQUEST.json",
                   help="(ORDER_ID) write the proof request for offline `anomi prove` instead of proving here")
    p.add_argument("--force", action="store_true", help="(ORDER_ID) prove again even if a proof is stored")


def _extend_prove(subparsers: argparse._SubParsersAction) -> None:
    """Give the prover's `anomi prove` the wallet's options and dispatch on its argument:
    an existing file is a request file (offline proving), an integer is a matched order."""
    parser = subparsers.choices.get("prove")
    if parser is None:  # the prover's commands are not registered: `prove` is the order verb only
        p = _order_command(subparsers, "prove", "prove the rail payment for a matched order", cmd_prove)
        _order_prove_options(p)
        p.add_argument("-o", "--output", type=Path, metavar="PROOF.json", help="also write the proof file")
        return
    add_common(parser, cluster=True, json_flag=False)
    add_account(parser)
    _order_prove_options(parser)
    parser.set_defaults(func=_prove_dispatch(parser.get_default("func")))


def _prove_dispatch(offline: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    order = trade_guarded(cmd_prove)

    def run(args: argparse.Namespace) -> int:
        target: str = args.request
        is_file, is_order = Path(target).expanduser().is_file(), target.isdigit()
        if is_file and is_order:
            raise CliError(f"{target!r} is both a file here and an order number: `anomi prove ./{target} "
                           f"-o PROOF.json` for the file, `anomi prove-payment {target}` for the order")
        if is_order:
            if args.artifacts:
                raise CliError("--artifacts is for request files; a matched order is proved with the "
                               "installed circuit keys")
            args.order_id = int(target)
            args.output = Path(args.output).expanduser() if args.output else None
            return order(args)
        if args.export_request or args.force or args.account:
            raise CliError("--export-request, --force and --account apply to a matched order "
                           "(`anomi prove ORDER_ID`), not to a request file")
        if not is_file:
            raise CliError(f"{target}: no such request file, and not a matched order number")
        return offline(args)
    return run


def cmd_payee(args: argparse.Namespace) -> int:
    details = run_trade(args, lambda ctx: Settlement(ctx).payee(args.order_id), directory=True)
    emit(args, {"order_id": args.order_id, **details.to_json()},
         f"Pay to: {details.display_name}, Easypaisa {details.handle}")
    return 0


def cmd_pay(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: Settlement(ctx).pay(args.order_id), directory=True)
    again = " (already paid earlier; nothing paid twice)" if out.replayed else ""
    emit(args, out.to_json(), f"Paid {format_pkr(out.amount_paisa)} PKR to {out.payee_name} "
                              f"({out.payee}) for matched order #{args.order_id}{again}")
    return 0


def cmd_prove(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        settle = Settlement(ctx)
        if args.export_request:
            ProofJobService.export_request(await settle.payment_request(args.order_id), args.export_request)
            return None
        proof = await settle.prove(args.order_id, force=args.force)
        if args.output:
            text = ctx.keystore.notes("proofs")[await settle.key(args.order_id)]
            write_atomic(args.output, text.encode(), 0o644)
        return proof
    proof = run_trade(args, action)
    if proof is None:
        emit(args, {"order_id": args.order_id, "request": str(args.export_request)},
             f"wrote the proof request to {args.export_request}; prove it with "
             f"`anomi prove {args.export_request} -o PROOF.json`, then `anomi finalize "
             f"{args.order_id} --proof PROOF.json`")
        return 0
    emit(args, {"order_id": args.order_id, "nullifier": str(proof.public_inputs[5]),
                "verifying_key_sha256": proof.vk_sha256},
         f"payment proof for matched order #{args.order_id} ready (verified locally)")
    return 0


def cmd_finalize(args: argparse.Namespace) -> int:
    async def action(ctx: TradeContext):
        settle = Settlement(ctx)
        if args.proof:
            await settle.import_proof(args.order_id, args.proof)
        return await settle.finalize(args.order_id)
    out = run_trade(args, action)
    emit(args, out.to_json(), f"finalized matched order #{args.order_id}: {format_usdc(out.amount)} USDC "
                              f"released to {out.buyer}\n  {out.signature}")
    return 0


def cmd_reclaim(args: argparse.Namespace) -> int:
    out = run_trade(args, lambda ctx: Settlement(ctx).reclaim(args.order_id))
    emit(args, out.to_json(), f"reclaimed {format_usdc(out.amount)} USDC for seller {out.seller}\n"
                              f"  {out.signature}")
    return 0

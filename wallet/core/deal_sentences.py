"""A private deal's figures as sentences ("you sold 1,000 USDC at 1.5 and receive 1,500 USDC").

Why here and not in the view: the figures a wallet decrypted (kept in its "deals" notes by
DealService, see ``sealed_note``) are base units of the deal's mints and X64.64 prices; turning
them into words with the asset named is pure arithmetic the CLI and the GUI can share and a unit
test can pin. An asset is named by its mint: the cluster's USDC mint is "USDC" with 6 decimals;
any other mint is shown in base units with an abbreviated address, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .amounts import USDC_DECIMALS, format_amount, parse_amount
from .otc_client import format_price


@dataclass(frozen=True)
class Asset:
    """How to show amounts of one mint."""
    symbol: str
    decimals: int

    def amount(self, units: int) -> str:
        """Base units -> "1,500 USDC" (thousands separated, no trailing zeros)."""
        text = format_amount(int(units), self.decimals)
        whole, _, frac = text.partition(".")
        whole = f"{int(whole):,}"
        return f"{whole}.{frac} {self.symbol}" if frac else f"{whole} {self.symbol}"

    def parse(self, text: str, what: str = "amount") -> int:
        """"1000.5" in this asset -> base units (AmountError with the field named if malformed)."""
        return parse_amount(text, self.decimals, what=what, unit=self.symbol)


def asset_for(mint: str, usdc_mint: str | None) -> Asset:
    if usdc_mint is not None and str(mint) == str(usdc_mint):
        return Asset("USDC", USDC_DECIMALS)
    return Asset(f"units of {str(mint)[:6]}…", 0)


def _price(note: Mapping[str, Any]) -> str:
    return format_price(int(note["price"]))


def result_sentences(mine: Mapping[str, Mapping[str, Any]], base: Asset, quote: Asset) -> list[str]:
    """One sentence per figure this wallet opened for a deal (its creation or offer, and the
    settlement), in the order deal first, then offers."""
    lines: list[str] = []
    ordered = sorted(mine.items(), key=lambda kv: (kv[1].get("role") != "creator", kv[0]))
    for key, note in ordered:
        role = note.get("role")
        settled = note.get("settled") or {}
        if role == "creator" or "total_filled" in settled:
            if "amount" in note and "price" in note:
                lines.append(f"You offered {base.amount(note['amount'])} for at least {_price(note)} "
                             f"{quote.symbol} each (confirmed by the MXE).")
            if "total_filled" in settled:
                lines.append(_creator_settled(settled, note, base, quote))
        else:
            if "amount" in note and "price" in note:
                lines.append(f"Your offer {key[:8]}… bids for {base.amount(note['amount'])} at up to "
                             f"{_price(note)} {quote.symbol} each (confirmed by the MXE).")
            if "outcome" in settled:
                lines.append(_offer_settled(key, settled, base))
    return lines or ["No figures sealed to this wallet for this deal yet."]


def _creator_settled(settled: Mapping[str, Any], note: Mapping[str, Any], base: Asset, quote: Asset) -> str:
    filled, receives, refund = (int(settled.get(k, 0)) for k in ("total_filled", "creator_receives", "creator_refund"))
    if filled == 0:
        return f"Nothing was sold: the deal expired unfilled and {base.amount(refund)} stays yours."
    at = f" at {_price(note)}" if "price" in note else ""
    text = f"You sold {base.amount(filled)}{at} and receive {quote.amount(receives)}."
    if refund:
        text += f" {base.amount(refund)} was not sold and stays yours."
    return text


def _offer_settled(key: str, settled: Mapping[str, Any], base: Asset) -> str:
    executed, refund = int(settled.get("executed_amt", 0)), int(settled.get("refund_amt", 0))
    outcome = settled.get("outcome")
    if outcome == "FAILED" or executed == 0:
        return (f"Your offer {key[:8]}… was not filled: nothing bought, {base.amount(refund)} of your bid "
                "is released.")
    text = f"Your offer {key[:8]}… bought {base.amount(executed)}"
    if refund:
        text += f"; {base.amount(refund)} of it was not filled and is released"
    return text + (" (filled in full)." if outcome == "EXECUTED" else " (partly filled).")

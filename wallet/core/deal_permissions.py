"""Whether this wallet may crank or close a deal now, and the reason when it may not.

Why ask before sending: the OTC program refuses an early crank by a stranger, a close of an
unsettled offer and a close of a deal with offers outstanding (named errors), but a refused
transaction still costs a round trip and reads as an error. The deal page greys the button out and
shows the program's rule in words instead. The rules mirror ``localnet/programs/otc/program.py``
(crank_deal, crank_offer, close_offer, close_deal) and DealService.crank/close.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from protocol import otc_codec as otc


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str   # what the button will do, or why it cannot be used now


def _minutes(seconds: int) -> str:
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def crank_verdict(deal: Mapping[str, Any], offers: Sequence[tuple[str, Mapping[str, Any]]], me: str,
                  now: int) -> Verdict:
    """``deal``/``offers``: decoded accounts (DealView.fields / .offers); ``me``: my address."""
    controller = str(deal["controller"])
    if deal.get("crank_pending"):
        return Verdict(False, "a crank of this deal is being computed by the MXE; wait for its result")
    if deal["status"] == otc.DEAL_OPEN:
        left = int(deal["expires_at"]) - now
        if controller == me:
            return Verdict(True, "settle the deal now (it executes only if fully filled before expiry)"
                           if left > 0 else "settle the expired deal")
        if left > 0:
            return Verdict(False, f"only the deal's creator can settle it before it expires (in {_minutes(left)})")
        return Verdict(True, "settle the expired deal (anyone may, once it has expired)")
    mine_open = [k for k, o in offers if str(o["controller"]) == me and o["status"] == otc.OFFER_OPEN
                 and not o.get("crank_pending")]
    if mine_open:
        return Verdict(True, f"settle {len(mine_open)} offer(s) of yours against the settled deal")
    return Verdict(False, f"nothing to settle: the deal is {otc.DEAL_STATUS_NAMES.get(deal['status'], '?')}"
                   " and none of your offers is open")


def close_verdict(deal: Mapping[str, Any], offers: Sequence[tuple[str, Mapping[str, Any]]], me: str) -> Verdict:
    """Close my settled offers and, as the controller, the deal once every offer is resolved."""
    mine = [o for _k, o in offers if str(o["controller"]) == me]
    unsettled = [o for o in mine if o["status"] not in (otc.OFFER_SETTLED, otc.OFFER_ABORTED) or o.get("crank_pending")]
    if unsettled:
        return Verdict(False, f"{len(unsettled)} offer(s) of yours are not settled yet: settle them first")
    controls = str(deal["controller"]) == me
    if controls:
        if deal["status"] == otc.DEAL_OPEN:
            return Verdict(False, "the deal is still open: settle it before closing it")
        outstanding = int(deal["num_offers"]) - int(deal["resolved_offers"])
        if outstanding or deal.get("pending_offers") or deal.get("crank_pending"):
            return Verdict(False, f"{outstanding} offer(s) of others are not settled yet; the deal can be "
                           "closed once every offer is (anyone may settle them)")
        return Verdict(True, "close the deal" + (" and your offers" if mine else "") + ": the rent returns to you")
    if mine:
        return Verdict(True, "close your settled offers: the rent returns to you")
    return Verdict(False, "nothing here is yours to close")


def offer_verdict(deal: Mapping[str, Any], now: int) -> Verdict:
    """Whether the deal still takes offers (OPEN and not expired on chain time)."""
    if deal["status"] != otc.DEAL_OPEN:
        return Verdict(False, f"the deal is {otc.DEAL_STATUS_NAMES.get(deal['status'], '?')}: it takes no more offers")
    if int(deal["expires_at"]) <= now:
        return Verdict(False, "the deal has expired: it takes no more offers")
    return Verdict(True, "bid for part or all of it; your figures stay encrypted")

"""Deal figures as sentences (asset named, human units) and the crank/close/offer verdicts with
their reasons, from the decrypted notes and decoded accounts the wallet holds."""
from __future__ import annotations

from protocol import otc_codec as otc
from wallet.core.deal_permissions import close_verdict, crank_verdict, offer_verdict
from wallet.core.deal_sentences import Asset, asset_for, result_sentences
from wallet.core.otc_client import parse_price

USDC = Asset("USDC", 6)
ME, OTHER = "Me1111", "Other2222"


def test_asset_names_the_usdc_mint_and_formats_human_units() -> None:
    assert asset_for("MintU", "MintU") == USDC
    assert asset_for("MintX123456", "MintU").symbol.startswith("units of MintX1")
    assert USDC.amount(1_500_000_000) == "1,500 USDC"
    assert USDC.amount(1_234_567) == "1.234567 USDC"
    assert USDC.parse("1000") == 1_000_000_000


def test_creator_sentences() -> None:
    mine = {"Deal1": {"role": "creator", "amount": 1_000_000_000, "price": str(parse_price("1.5")),
                      "settled": {"total_filled": 1_000_000_000, "creator_receives": 1_500_000_000,
                                  "creator_refund": 0}}}
    lines = result_sentences(mine, USDC, USDC)
    assert lines == ["You offered 1,000 USDC for at least 1.5 USDC each (confirmed by the MXE).",
                     "You sold 1,000 USDC at 1.5 and receive 1,500 USDC."]
    mine["Deal1"]["settled"] = {"total_filled": 600_000_000, "creator_receives": 900_000_000,
                                "creator_refund": 400_000_000}
    assert result_sentences(mine, USDC, USDC)[1] == ("You sold 600 USDC at 1.5 and receive 900 USDC. "
                                                     "400 USDC was not sold and stays yours.")
    mine["Deal1"]["settled"] = {"total_filled": 0, "creator_receives": 0, "creator_refund": 1_000_000_000}
    assert "Nothing was sold" in result_sentences(mine, USDC, USDC)[1]


def test_offeror_sentences() -> None:
    mine = {"OfferAAAAAAAA": {"role": "offeror", "deal": "Deal1", "amount": 600_000_000,
                              "price": str(parse_price("1.5")),
                              "settled": {"outcome": "PARTIAL", "executed_amt": 400_000_000,
                                          "refund_amt": 200_000_000}}}
    assert result_sentences(mine, USDC, USDC) == [
        "Your offer OfferAAA… bids for 600 USDC at up to 1.5 USDC each (confirmed by the MXE).",
        "Your offer OfferAAA… bought 400 USDC; 200 USDC of it was not filled and is released (partly filled)."]
    mine["OfferAAAAAAAA"]["settled"] = {"outcome": "FAILED", "executed_amt": 0, "refund_amt": 600_000_000}
    assert "was not filled: nothing bought, 600 USDC of your bid is released" in result_sentences(mine, USDC, USDC)[1]
    assert result_sentences({}, USDC, USDC) == ["No figures sealed to this wallet for this deal yet."]


def deal(status: int = otc.DEAL_OPEN, controller: str = ME, expires_at: int = 1000, **kw) -> dict:
    return {"status": status, "controller": controller, "expires_at": expires_at, "num_offers": kw.get("n", 0),
            "resolved_offers": kw.get("resolved", 0), "pending_offers": 0, "crank_pending": False}


def offer(controller: str, status: int = otc.OFFER_OPEN) -> dict:
    return {"controller": controller, "status": status, "crank_pending": False}


def test_crank_rules_follow_the_program() -> None:
    assert crank_verdict(deal(), [], ME, now=10).allowed                      # controller, early
    early = crank_verdict(deal(controller=OTHER), [], ME, now=10)
    assert not early.allowed and "only the deal's creator" in early.reason and "16 min" in early.reason
    assert crank_verdict(deal(controller=OTHER), [], ME, now=2000).allowed    # anyone after expiry
    settled = deal(status=otc.DEAL_EXECUTED, controller=OTHER)
    assert crank_verdict(settled, [("o1", offer(ME))], ME, now=10).allowed
    nothing = crank_verdict(settled, [("o1", offer(ME, otc.OFFER_SETTLED))], ME, now=10)
    assert not nothing.allowed and "nothing to settle" in nothing.reason
    busy = dict(deal(), crank_pending=True)
    assert not crank_verdict(busy, [], ME, now=10).allowed


def test_close_and_offer_rules() -> None:
    open_offer = [("o1", offer(ME))]
    assert "not settled yet" in close_verdict(deal(controller=OTHER), open_offer, ME).reason
    assert close_verdict(deal(controller=OTHER), [("o1", offer(ME, otc.OFFER_SETTLED))], ME).allowed
    assert "still open" in close_verdict(deal(), [], ME).reason
    outstanding = close_verdict(deal(otc.DEAL_EXECUTED, n=2, resolved=1), [("o1", offer(OTHER))], ME)
    assert not outstanding.allowed and "1 offer(s) of others" in outstanding.reason
    assert close_verdict(deal(otc.DEAL_EXECUTED, n=1, resolved=1), [], ME).allowed
    assert not close_verdict(deal(controller=OTHER), [], ME).allowed
    assert offer_verdict(deal(), now=10).allowed
    assert "expired" in offer_verdict(deal(), now=1000).reason
    assert "EXECUTED" in offer_verdict(deal(otc.DEAL_EXECUTED), now=10).reason

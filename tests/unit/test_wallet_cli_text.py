"""The `anomi` commands' human output is sentences and tables, never a Python repr of the
--json data (which stays as it is for scripts)."""
from __future__ import annotations

import re

from protocol.otc_codec import PRICE_ONE
from wallet.commands.deal import crank_text, offer_result_text, show_text
from wallet.commands.trading_session import short, when

DEAL = "7Xq3nD1eTtKUtGpHYVJ2gN1m5bYVq4Mj8R2JfWcZdE9A"
OFFER_A, OFFER_C = "Bhn4sUoQe1yH3kLr7D2vX9aPq6TzWmN5cJ8fRgE1uVbK", "C9dUe4fW2rYxTq7LmN3pKs8BhZ6aJv5GcE1oRiX4tQwP"


def no_repr(text: str) -> None:
    assert not re.search(r"[{}\[\]]|'\w+':", text), text


def test_offer_results_read_as_sentences() -> None:
    assert offer_result_text({"outcome": "PARTIAL", "executed_amt": 600, "refund_amt": 200}) == \
        "PARTIAL — 600 filled, 200 refunded"
    assert offer_result_text({"outcome": "EXECUTED", "executed_amt": 400, "refund_amt": 0}) == \
        "EXECUTED — 400 filled"
    assert offer_result_text({"outcome": "FAILED", "executed_amt": 0, "refund_amt": 500}) == \
        "FAILED — nothing filled, 500 refunded"


def test_crank_output_has_no_dict_reprs() -> None:
    out = {"deal": DEAL, "status": "EXECUTED", "offers": [
        {"offer": OFFER_C, "settled": True, "result": {"outcome": "PARTIAL", "executed_amt": 600, "refund_amt": 200}},
        {"offer": OFFER_A, "settled": True}],
        "deal_crank": {"result": "EXECUTED", "settled": {"total_filled": 1000, "creator_receives": 1500,
                                                         "creator_refund": 0}}}
    text = crank_text(out)
    no_repr(text)
    assert text.splitlines() == [
        f"deal {DEAL}: EXECUTED",
        "  deal settled EXECUTED — 1,000 filled, 1,500 received, 0 refunded",
        f"  offer {short(OFFER_C)}: PARTIAL — 600 filled, 200 refunded",
        f"  offer {short(OFFER_A)}: settled (its figures are sealed to its offeror)"]
    rejected = crank_text({"deal": DEAL, "status": "OPEN", "offers": [],
                           "deal_crank": {"result": "rejected", "detail": "not fully filled yet"}})
    assert rejected.splitlines()[1] == "  deal crank rejected: not fully filled yet"
    assert crank_text({"deal": DEAL, "status": "EXECUTED", "offers": []}).endswith("nothing to crank")


def test_show_output_is_a_table_and_my_figures() -> None:
    data = {"deal": DEAL, "status": "EXECUTED", "num_offers": 2, "resolved_offers": 2, "expires_at": 1_700_000_000,
            "allow_partial": False,
            "offers": [{"offer": OFFER_A, "index": 0, "status": "SETTLED", "submitted_at": 1_699_990_000},
                       {"offer": OFFER_C, "index": 1, "status": "SETTLED", "submitted_at": 1_699_990_060}],
            "mine": {OFFER_C: {"role": "offeror", "deal": DEAL, "amount": 800, "price": str(3 * PRICE_ONE // 2),
                               "settled": {"outcome": "PARTIAL", "executed_amt": 600, "refund_amt": 200}},
                     DEAL: {"role": "creator", "amount": 1000, "price": str(3 * PRICE_ONE // 2), "status": "EXECUTED",
                            "settled": {"total_filled": 1000, "creator_receives": 1500, "creator_refund": 0}}}}
    text = show_text(data)
    no_repr(text)
    assert f"expires {when(1_700_000_000)}" in text and when(1_700_000_000) == "2023-11-14 22:13:20 UTC"
    assert re.search(rf"^1\s+{OFFER_C}\s+SETTLED\s+2023-11-14 19:27:40 UTC$", text, re.M), text
    assert f"  my offer {short(OFFER_C)}: 800 at 1.5 — PARTIAL — 600 filled, 200 refunded" in text.splitlines()
    assert f"  my deal {short(DEAL)}: 1,000 at 1.5 — EXECUTED: 1,000 filled, 1,500 received, 0 refunded" \
        in text.splitlines()

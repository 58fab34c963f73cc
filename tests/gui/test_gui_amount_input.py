"""The GUI's amount fields read through the one parser (wallet/core/amounts.py): any text typed
gives a value or a message, never an exception (once `nan` in the order entry raised
"Unexpected error" on every keystroke)."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QLabel, QLineEdit

from wallet.core.otc_client import DealError, parse_price
from wallet.core.amounts import AmountError
from wallet.core.deal_sentences import Asset
from wallet.gui.order_entry import OrderEntry
from wallet.gui.session import InputError, parse_pkr, parse_usdc

TYPED = st.one_of(st.text(max_size=24), st.sampled_from(["nan", "NaN", "inf", "-inf", "1e400", "-5", "1,5",
                                                         "١٢٣", "0", "", "  ", "1e-7", "18446744073709551616"]))


@settings(max_examples=400, deadline=None)
@given(TYPED, TYPED)
@example("nan", "285")
@example("100", "1e400")
def test_any_typed_text_is_a_value_or_a_message(qapp, size: str, price: str) -> None:
    for parse in (parse_usdc, parse_pkr, lambda t: Asset("USDC", 6).parse(t, "amount")):  # the deal wizard's
        try:
            assert parse(size) > 0
        except (InputError, AmountError) as exc:
            assert str(exc)
    try:
        assert parse_price(price) > 0
    except DealError as exc:
        assert str(exc)
    # the live "= N PKR" preview runs on every keystroke
    size_edit, price_edit, due = QLineEdit(size), QLineEdit(price), QLabel()
    OrderEntry._show_due(size_edit, price_edit, due)
    assert due.text() == "" or due.text().endswith(" PKR")

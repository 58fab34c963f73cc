"""Words, not internals: the builders of user-facing messages never leak an exception's text,
a class name, base units or paisa, nor 25- and 77-digit identifiers (issue 14).

Hypothesis drives each builder with arbitrary inputs: exception texts that carry a marker,
amounts over the whole u64 range, book keys over u128 and payment ids over 256 bits.
"""
from __future__ import annotations

import asyncio
import errno
import re

import aiohttp
import httpx2
from hypothesis import given, settings, strategies as st
from solana.exceptions import SolanaRpcException, handle_async_exceptions
from solana.rpc.core import RPCException
from solders.instruction import Instruction
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from protocol.units import format_pkr, format_usdc
from wallet.core.chain import ChainError
from wallet.core.file_words import describe_file_error
from wallet.core.network_words import cluster_unreachable, describe_network_error, is_unreachable
from wallet.core.references import order_ref, payment_ref
from wallet.core.trade_steps import payment_lines, Role
from wallet.core.tx_errors import idls_by_program, user_explanation
from wallet.core.trade_words import escrow_shortfall, minimum_size_rule, rail_shortfall, tick_rule
from wallet.gui.unexpected import LOG_HINT, status_for_problem, user_message

U64 = st.integers(min_value=0, max_value=2**64 - 1)
URL = "http://127.0.0.1:8899"
# what must never reach a user: Python/library internals
INTERNALS = re.compile(r"<class|Traceback|httpx|aiohttp|Solana\w*Exception|Error\(|Exception\b|\bbase units?\b|"
                       r"\bpaisa\b|0x[0-9a-f]{6,}", re.IGNORECASE)
# a marker no real message contains: it shows whether the exception's own text leaked through
marker = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=12, max_size=30).map(lambda s: f"ZQX{s}")


def raw_integer_shown(text: str, value: int) -> bool:
    """Whether `value` appears in `text` as a whole number (not as part of a formatted figure)."""
    return re.search(rf"(?<![\d.,]){value}(?![\d.,])", text) is not None


def transport_errors(text: str) -> list[BaseException]:
    """The exceptions a dead or dropping cluster raises through solana-py, aiohttp and the OS."""
    class GetAccountInfo:   # solana-py names the request by its body's class
        pass

    @handle_async_exceptions(SolanaRpcException, httpx2.HTTPError)
    async def send(_provider: object, _body: object) -> None:   # solana-py's provider method
        raise httpx2.ConnectError(text)

    try:
        asyncio.run(send(None, GetAccountInfo()))
    except SolanaRpcException as exc:
        wrapped = exc
    assert "httpx2.ConnectError" in str(wrapped)   # what the user used to read
    return [
        wrapped,
        httpx2.ConnectError(text),
        httpx2.ReadTimeout(text),
        ConnectionRefusedError(errno.ECONNREFUSED, text),
        OSError(errno.EHOSTUNREACH, text),
        asyncio.TimeoutError(text),
        aiohttp.ServerDisconnectedError(text),
    ]


@settings(max_examples=80, deadline=None)
@given(marker, st.sampled_from(["read an account", "read accounts", "list accounts", "read the market"]))
def test_a_dead_cluster_is_named_never_its_exception(text: str, doing: str) -> None:
    for exc in transport_errors(text):
        assert is_unreachable(exc), exc
        words = describe_network_error(exc, URL, doing)
        assert words == f"cannot {doing}: {cluster_unreachable(URL)}"
        assert text not in words and not INTERNALS.search(words), words


@settings(max_examples=60, deadline=None)
@given(marker, st.sampled_from([ValueError, KeyError, RuntimeError]))
def test_an_answer_not_understood_says_so_without_its_text(text: str, kind: type[Exception]) -> None:
    words = describe_network_error(kind(text), URL, "read accounts")
    assert text not in words and not INTERNALS.search(words)
    assert "does not understand" in words


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=60).map(str.strip).filter(bool))
def test_a_cluster_refusal_shows_only_the_clusters_own_message(message: str) -> None:
    exc = RPCException({"code": -32602, "message": message})
    words = describe_network_error(exc, URL, "read accounts")
    assert words.endswith(f"refused: {message}") and "-32602" not in words and "{" not in words


@settings(max_examples=200, deadline=None)
@given(U64, U64)
def test_escrow_shortfall_in_usdc(size: int, held: int) -> None:
    text = escrow_shortfall(size, held)
    assert f"{format_usdc(size)} USDC" in text and f"{format_usdc(held)} USDC" in text
    assert not INTERNALS.search(text)
    for value in (size, held):
        if value >= 10**6 and value % 10**6:   # its base-unit integer differs from its USDC figure
            assert not raw_integer_shown(text, value), text


@settings(max_examples=200, deadline=None)
@given(U64, U64, U64)
def test_rail_shortfall_in_pkr(balance: int, due: int, reserved: int) -> None:
    text = rail_shortfall(balance, due, reserved)
    assert f"{format_pkr(balance)} PKR" in text and f"{format_pkr(due)} PKR" in text
    assert (f"on top of the {format_pkr(reserved)} PKR your open matches already reserve" in text) == bool(reserved)
    assert not INTERNALS.search(text)
    for value in (balance, due) + ((reserved,) if reserved else ()):
        if value >= 1000:   # 1000 paisa = "10" PKR: never the paisa integer itself
            assert not raw_integer_shown(text, value), text


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=2**64 - 1), st.integers(min_value=1, max_value=2**64 - 1))
def test_market_rules_in_pkr_and_usdc(tick: int, minimum: int) -> None:
    assert tick_rule(tick).endswith(f"{format_pkr(tick)} PKR")
    assert minimum_size_rule(minimum).endswith(f"{format_usdc(minimum)} USDC")
    assert not INTERNALS.search(tick_rule(tick) + minimum_size_rule(minimum))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=2**64 - 1))
def test_order_references_are_short_and_unique_per_sequence(price: int, seq: int) -> None:
    key = (price << 64) | seq   # a resting order's book key (market_codec.order_key)
    ref = order_ref(key)
    assert ref == f"#{seq}" and len(ref) <= 21
    if key > 2**64 - 1 and len(str(key)) > len(ref):
        assert str(key) not in ref


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=2**256 - 1))
def test_payment_references_are_short(payment_id: int) -> None:
    ref = payment_ref(payment_id)
    assert len(ref) <= 9
    if payment_id >= 10**8:
        assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{1,4}", ref) and str(payment_id) not in ref
    assert payment_ref(str(payment_id)) == ref


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=10**60, max_value=2**256 - 1), st.integers(min_value=1, max_value=10**12))
def test_payment_lines_name_a_payment_by_its_short_reference(payment_id: int, paisa: int) -> None:
    class Record:   # the fields trade_steps reads from a MatchedOrderView
        order_id, status, base_amount, price, fiat_due = 3, "Pending", 10**8, 28_500, paisa
        matched_at, expires_at, buyer, seller = 0, 10**9, "b", "s"
    note = {"amount_paisa": paisa, "payee": "0345-1234567", "payment_id": str(payment_id)}
    text = payment_lines(Record(), Role.BUYER, paid=note).payment
    assert str(payment_id) not in text and f"(payment {payment_ref(payment_id)})" in text
    assert f"{format_pkr(paisa)} PKR" in text and not INTERNALS.search(text)


@settings(max_examples=60, deadline=None)
@given(marker, st.sampled_from(["asyncio", "qasync._QEventLoop", "httpx2", "websockets.client", "root"]))
def test_a_librarys_log_record_never_reaches_the_status_bar(text: str, logger: str) -> None:
    line = status_for_problem("ERROR", logger, f"Exception in callback <TaskStepMethWrapper> {text}")
    assert text not in line and LOG_HINT in line and not INTERNALS.search(line)


@settings(max_examples=60, deadline=None)
@given(marker, st.sampled_from([KeyError, RuntimeError, AttributeError, ChainError]))
def test_an_unexpected_failure_reads_as_one_short_sentence(text: str, kind: type[BaseException]) -> None:
    try:
        raise kind(text)
    except BaseException as exc:  # noqa: BLE001 - the point is any exception
        message = user_message(type(exc), exc.__traceback__)
    assert text not in message and kind.__name__ not in message and message.endswith(LOG_HINT)
    assert len(message) < 120


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([errno.EACCES, errno.ENOSPC, errno.EROFS, errno.ENOENT, errno.EISDIR]), marker)
def test_a_refused_file_names_the_file_and_the_reason(code: int, name: str) -> None:
    import os
    exc = OSError(code, os.strerror(code), f"/home/ali/{name}.json")
    text = describe_file_error(exc)
    assert text == f"cannot write /home/ali/{name}.json: {os.strerror(code)[0].lower()}{os.strerror(code)[1:]}"
    assert "Errno" not in text and "'" not in text and str(code) not in text.split(":")[-1]


@settings(max_examples=60, deadline=None)
@given(marker)
def test_own_records_show_as_sentences_but_never_a_repr(text: str) -> None:
    sentence = f"the order book could not refresh (1 in a row): {cluster_unreachable(URL)}"
    assert status_for_problem("WARNING", "wallet.core.market_service", sentence) == f"Warning: {sentence}"
    for leaky in (f"event subscriber <function {text} at 0x7f3a2b1c0d90> failed on BalanceChanged(slot=1)",
                  f"Traceback (most recent call last): {text}", f"KeyError('{text}')"):
        line = status_for_problem("ERROR", "wallet.core.events", leaky)
        assert text not in line and line.endswith(LOG_HINT)


def _idl_errors() -> list[tuple[str, int, str]]:
    out = []
    for pid, idl in idls_by_program().items():
        for err in (idl.errors or {}).values():
            out.append((pid, int(err["code"]), err["name"]))
    return out


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_idl_errors()), st.integers(min_value=0, max_value=3), marker, U64)
def test_a_program_refusal_is_named_without_its_logs(error: tuple[str, int, str], index: int, text: str,
                                                     amount: int) -> None:
    """tx_errors.user_explanation: the program and its error in words; the program's log lines
    (a Python panic, raw base units) stay out of the sentence."""
    pid, code, name = error
    programs = [Pubkey.new_unique() for _ in range(index)] + [Pubkey.from_string(pid)]
    message = Message([Instruction(p, b"", []) for p in programs], Pubkey.new_unique())
    logs = [f"Program {pid} invoke [1]",
            f"Program log: panicked at program.py:12: KeyError: {text}",
            f"Program log: escrow {amount} base units",
            f"Program {pid} failed: custom program error: {hex(code)}"]
    words, perr = user_explanation(TransactionErrorInstructionError(index, InstructionErrorCustom(code)),
                                   message, logs)
    assert perr is not None and perr.name == name
    assert words.startswith(f"the {perr.program} program refused: {name}")
    assert text not in words and "Program log" not in words and "panicked" not in words
    assert not raw_integer_shown(words, amount) or str(amount) in perr.message
    assert "instruction" not in words.split(":")[0]

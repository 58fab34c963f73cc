"""Program errors are named from the IDLs in resources/idl, not shown as hex codes."""
from __future__ import annotations

import pytest
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction_status import (
    InstructionErrorCustom, InstructionErrorFieldless, TransactionErrorFieldless,
    TransactionErrorInstructionError)

from protocol.idl import load_idl
from wallet.core.tx_errors import explain, idls_by_program, program_id_of


def message_for(*programs: Pubkey) -> Message:
    return Message([Instruction(p, b"", []) for p in programs], Pubkey.new_unique())


@pytest.mark.parametrize("program", ["market", "order_store", "order_processor", "otc", "arcium"])
def test_every_idl_error_is_named(program: str) -> None:
    idl = load_idl(program) if program in ("market", "order_store", "order_processor") else \
        idls_by_program()[str(program_id_of(program))]
    msg = message_for(Pubkey.new_unique(), idl.address)
    for err in idl.errors.values():
        text, perr = explain(TransactionErrorInstructionError(1, InstructionErrorCustom(err["code"])), msg)
        assert perr is not None and perr.name == err["name"] and perr.instruction == 1
        assert err["name"] in text and hex(err["code"]) not in text


def test_unknown_codes_builtin_and_logs() -> None:
    market = program_id_of("market")
    text, perr = explain(TransactionErrorInstructionError(0, InstructionErrorCustom(9999)),
                         message_for(market), ["Program log: price too low", "Program x failed"])
    assert perr.name is None and "0x270f" in text and "not in the market IDL" in text
    assert text.endswith("logs: price too low")
    token = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
    _, perr = explain(TransactionErrorInstructionError(0, InstructionErrorCustom(1)), message_for(token))
    assert (perr.program, perr.name) == ("Token program", "InsufficientFunds")
    _, perr = explain(TransactionErrorInstructionError(0, InstructionErrorFieldless.MissingRequiredSignature),
                      message_for(market))
    assert perr.name == "MissingRequiredSignature" and perr.program == "market"
    text, perr = explain(TransactionErrorFieldless.InsufficientFundsForFee)
    assert perr is None and "not enough SOL" in text


# ---------------------------------------------------------------- errors raised inside a CPI
def as_tx_error(err: dict) -> TransactionErrorInstructionError:
    """The runtime's JSON error ({"InstructionError": [i, {"Custom": c}]}) as solders'."""
    index, inner = err["InstructionError"]
    return TransactionErrorInstructionError(index, InstructionErrorCustom(inner["Custom"]))


def compiled(payer: Pubkey, ixs: list[Instruction]) -> MessageV0:
    """The message the harness sent (account order does not depend on the blockhash)."""
    return MessageV0.try_compile(payer, ixs, [], Hash.default())


def test_market_error_raised_in_finalize_release_cpi_is_named_for_market() -> None:
    """order_processor.finalize_trade CPIs into market's release; paying the escrow to a token
    account that is not the buyer's fails in market with WrongDestination, whose code the
    order_processor IDL does not have (or would name as something else)."""
    from tests.unit.zkp2p_harness import Ledger

    ledger = Ledger(book_capacity=8)
    seller, stok = ledger.new_user(100_000_000)
    buyer, _ = ledger.new_user()
    assert ledger.send([ledger.ask(seller, stok, 28_500, 100_000_000, (7).to_bytes(32, "big"))], [seller]).err is None
    mt = ledger.now - 60
    proof = ledger.bid_proof(buyer.pubkey(), 28_500, 100_000_000, mt)
    assert ledger.send([ledger.bid(buyer, 28_500, 100_000_000, proof, mt)], [buyer]).err is None
    stranger, stranger_token = ledger.new_user()
    ixs = [ledger.finalize(stranger, 0, (11).to_bytes(32, "big"), ledger.pay_proof(0, 11), stranger_token)]
    result = ledger.send(ixs, [stranger])
    market, processor = load_idl("market"), load_idl("order_processor")
    code = market.error_code("WrongDestination")
    assert result.custom == code, result.logs[-4:]
    text, perr = explain(as_tx_error(result.err), compiled(stranger.pubkey(), ixs), result.logs)
    assert (perr.program, perr.name, perr.code) == ("market", "WrongDestination", code)
    assert perr.program_id == str(market.address) and perr.invoked_by == "order_processor"
    assert "(order_processor -> market)" in text and "not in the" not in text
    # the same error without logs can only be attributed to the top-level program
    _, blind = explain(as_tx_error(result.err), compiled(stranger.pubkey(), ixs), [])
    assert blind.program == "order_processor" and blind.invoked_by is None
    assert blind.name != "WrongDestination" and str(processor.address) == blind.program_id


def test_arcium_error_raised_in_otc_queue_cpi_is_named_for_arcium(tmp_path) -> None:
    """otc.create_deal CPIs into arcium's queue_computation; re-using a computation offset fails
    in arcium with ComputationOffsetInUse, a code the otc IDL gives to another error."""
    from localnet.bank import Bank
    from protocol import otc_codec as otc
    from tests.unit.otc_bank_harness import OtcBank, Party

    bank = Bank(tmp_path / "ledger")
    try:
        h = OtcBank(bank)
        creator = Party()
        h.fund(creator)
        offset = otc.random_computation_offset()

        def create() -> tuple[list[Instruction], Keypair, object]:
            create_key = Keypair()
            bound = otc.deal_input(creator.secret, h.mxe_pub, creator.wallet.pubkey(),
                                   otc.deal_pda(create_key.pubkey())[0], 1000, 2 * otc.PRICE_ONE)
            ix = otc.create_deal_ix(
                payer=creator.wallet.pubkey(), create_key=create_key.pubkey(), base_mint=bank.usdc_mint,
                quote_mint=bank.usdc_mint, computation_offset=offset, controller=creator.wallet.pubkey(),
                encryption_pubkey=creator.x25519, nonce=bound.nonce, nonce_salt=bound.nonce_salt,
                expires_at=bank.unix_timestamp + 3600, allow_partial=False,
                encrypted_amount=bound.ciphertexts[0], encrypted_price=bound.ciphertexts[1])
            return [ix], create_key, h.send([ix], [creator.wallet, create_key])

        _, _, first = create()
        assert first.err is None, first.logs
        ixs, _, again = create()
        arcium = idls_by_program()[str(program_id_of("arcium"))]
        code = arcium.error_code("ComputationOffsetInUse")
        assert h.custom_code(again) == code, again.logs[-4:]
        text, perr = explain(as_tx_error(again.err), compiled(creator.wallet.pubkey(), ixs), again.logs)
        assert (perr.program, perr.name, perr.invoked_by) == ("arcium", "ComputationOffsetInUse", "otc")
        assert "ComputationOffsetInUse" in text and "(otc -> arcium)" in text
        otc_names = {e["name"] for e in otc.OTC_IDL.errors.values() if e["code"] == code}
        assert "ComputationOffsetInUse" not in otc_names   # the top-level IDL would have misnamed it
    finally:
        bank.close()


def test_top_level_failure_and_unrelated_log_lines() -> None:
    """Only a `failed` line carrying the error's own code attributes it to another program."""
    market, processor = program_id_of("market"), program_id_of("order_processor")
    err = TransactionErrorInstructionError(0, InstructionErrorCustom(6000))
    logs = [f"Program {processor} invoke [1]", f"Program {market} invoke [2]",
            f"Program {market} failed: custom program error: 0x1771",
            f"Program {processor} failed: custom program error: 0x1770"]
    _, perr = explain(err, message_for(processor), logs)
    assert perr.program == "order_processor" and perr.invoked_by is None
    logs[2] = f"Program {market} failed: custom program error: 0x1770"
    _, perr = explain(err, message_for(processor), logs)
    assert (perr.program, perr.invoked_by) == ("market", "order_processor")
    assert perr.name == next(e["name"] for e in load_idl("market").errors.values() if e["code"] == 6000)

"""getTransaction with ``jsonParsed`` against a real localnet: solders parses the reply into its
typed UiParsedMessage (through solana-py), and the raw reply passes the field checks
@solana/web3.js v1 applies to ``getParsedTransaction`` (ParsedConfirmedTransactionResult).
"""
from __future__ import annotations

from typing import Any

from solana.rpc.async_api import AsyncClient
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from solders.transaction_status import (
    ParsedInstruction, UiParsedMessage, UiPartiallyDecodedInstruction,
)
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    create_associated_token_account, get_associated_token_address, initialize_mint2, mint_to, transfer_checked,
)
from spl.token.models import InitializeMint2Params, MintToParams, TransferCheckedParams

from protocol.program_ids import ASSOCIATED_TOKEN_PROGRAM_ID, MEMO_PROGRAM_ID
from tests.integration.localnet_client import fund, raw_rpc, send_ok

SYSTEM = "11111111111111111111111111111111"
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"


def _pubkey(v: Any) -> None:
    assert isinstance(v, str)
    Pubkey.from_string(v)


def _web3_instruction(ix: dict) -> None:
    """web3.js ParsedOrRawInstruction: pick({program, programId, parsed}) or pick({accounts, data, programId})."""
    _pubkey(ix["programId"])
    if "parsed" in ix:
        assert isinstance(ix["program"], str)
    else:
        assert isinstance(ix["data"], str)
        for a in ix["accounts"]:
            _pubkey(a)


def _web3_check(result: dict) -> None:
    """The superstruct schema of web3.js v1 ``getParsedTransaction`` (FACTS §1.3 rules: optional ≠ null)."""
    assert isinstance(result["slot"], int)
    tx = result["transaction"]
    assert all(isinstance(s, str) for s in tx["signatures"])
    msg = tx["message"]
    assert isinstance(msg["recentBlockhash"], str)
    for key in msg["accountKeys"]:
        _pubkey(key["pubkey"])
        assert isinstance(key["signer"], bool) and isinstance(key["writable"], bool)
        assert key.get("source", "transaction") in ("transaction", "lookupTable")
    for ix in msg["instructions"]:
        _web3_instruction(ix)
    meta = result["meta"]
    assert isinstance(meta["fee"], int)
    assert all(isinstance(b, int) for b in meta["preBalances"] + meta["postBalances"])
    for group in meta["innerInstructions"]:
        assert isinstance(group["index"], int)
        for ix in group["instructions"]:
            _web3_instruction(ix)
    for opt in ("loadedAddresses", "computeUnitsConsumed"):  # optional(...): absent or a value, never null
        assert meta.get(opt, 0) is not None


async def test_get_transaction_json_parsed(localnet) -> None:
    payer, holder, mint = Keypair(), Keypair(), Keypair()
    async with AsyncClient(localnet.rpc_url) as client:
        await fund(client, payer.pubkey())
        rent = (await client.get_minimum_balance_for_rent_exemption(82)).value
        ata_payer = get_associated_token_address(payer.pubkey(), mint.pubkey())
        ata_holder = get_associated_token_address(holder.pubkey(), mint.pubkey())
        setup_sig = await send_ok(client, [
            create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                               space=82, owner=TOKEN_PROGRAM_ID)),
            initialize_mint2(InitializeMint2Params(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), decimals=6,
                                                   mint_authority=payer.pubkey())),
            create_associated_token_account(payer.pubkey(), payer.pubkey(), mint.pubkey()),
            create_associated_token_account(payer.pubkey(), holder.pubkey(), mint.pubkey()),
            mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata_payer,
                                 mint_authority=payer.pubkey(), amount=5_000_000)),
        ], [payer, mint])
        sig = await send_ok(client, [
            set_compute_unit_limit(300_000),
            transfer_checked(TransferCheckedParams(
                program_id=TOKEN_PROGRAM_ID, source=ata_payer, mint=mint.pubkey(), dest=ata_holder,
                owner=payer.pubkey(), amount=1_250_000, decimals=6)),
            transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=holder.pubkey(), lamports=10 ** 9)),
            Instruction(MEMO_PROGRAM_ID, "pay 🦖".encode(), []),
        ], [payer])

        # solana-py / solders: a typed UiParsedMessage, no parse error
        got = (await client.get_transaction(sig, encoding="jsonParsed", commitment="confirmed",
                                            max_supported_transaction_version=0)).value
        msg = got.transaction.transaction.message
        assert isinstance(msg, UiParsedMessage)
        keys = {str(k.pubkey): k for k in msg.account_keys}
        assert keys[str(payer.pubkey())].signer and keys[str(payer.pubkey())].writable
        assert not keys[str(TOKEN_PROGRAM_ID)].writable and not keys[str(mint.pubkey())].writable
        assert not keys[SYSTEM].writable and keys[str(holder.pubkey())].writable
        budget, tok, sol, memo = msg.instructions
        assert isinstance(budget, UiPartiallyDecodedInstruction) and str(budget.program_id) == COMPUTE_BUDGET
        assert budget.accounts == [] and budget.stack_height is None
        assert isinstance(tok, ParsedInstruction) and tok.program == "spl-token"
        assert tok.parsed == {"type": "transferChecked", "info": {
            "source": str(ata_payer), "mint": str(mint.pubkey()), "destination": str(ata_holder),
            "authority": str(payer.pubkey()),
            "tokenAmount": {"amount": "1250000", "decimals": 6, "uiAmount": 1.25, "uiAmountString": "1.25"}}}
        assert isinstance(sol, ParsedInstruction) and sol.program == "system"
        assert sol.parsed == {"type": "transfer", "info": {"source": str(payer.pubkey()),
                                                           "destination": str(holder.pubkey()), "lamports": 10 ** 9}}
        assert isinstance(memo, ParsedInstruction) and memo.program == "spl-memo" and memo.parsed == "pay 🦖"
        assert got.transaction.meta.fee == 5000 and got.transaction.meta.err is None

        setup = (await client.get_transaction(setup_sig, encoding="jsonParsed", commitment="confirmed")).value
        smsg = setup.transaction.transaction.message
        assert [ix.parsed["type"] for ix in smsg.instructions] == [
            "createAccount", "initializeMint2", "create", "create", "mintTo"]
        assert smsg.instructions[2].program == "spl-associated-token-account"
        assert smsg.instructions[2].parsed["info"]["wallet"] == str(payer.pubkey())
        assert smsg.instructions[4].parsed["info"] == {"mint": str(mint.pubkey()), "account": str(ata_payer),
                                                      "amount": "5000000", "mintAuthority": str(payer.pubkey())}
        inner = setup.transaction.meta.inner_instructions
        assert [g.index for g in inner] == [2, 3]
        inner_types = [(ix.program, ix.parsed["type"], ix.stack_height) for ix in inner[0].instructions]
        assert ("spl-token", "initializeAccount3", 2) in inner_types
        assert ("spl-token", "initializeImmutableOwner", 2) in inner_types
        assert any(p == "system" for p, _t, _h in inner_types)

        # the raw wire reply: web3.js's schema, and Agave's jsonParsed meta (no loadedAddresses)
        for s in (sig, setup_sig):
            raw = (await raw_rpc(localnet.rpc_url, "getTransaction",
                                 [str(s), {"encoding": "jsonParsed", "commitment": "confirmed"}]))["result"]
            _web3_check(raw)
            assert "loadedAddresses" not in raw["meta"] and "version" not in raw
            assert "header" not in raw["transaction"]["message"]
        raw = (await raw_rpc(localnet.rpc_url, "getTransaction",
                             [str(sig), {"encoding": "jsonParsed", "commitment": "confirmed",
                                         "maxSupportedTransactionVersion": 0}]))["result"]
        assert raw["version"] == "legacy"
        assert raw["transaction"]["message"]["accountKeys"][0] == {
            "pubkey": str(payer.pubkey()), "signer": True, "writable": True, "source": "transaction"}
        assert raw["transaction"]["message"]["instructions"][0] == {
            "programId": COMPUTE_BUDGET, "accounts": [], "data": raw["transaction"]["message"]["instructions"][0]["data"],
            "stackHeight": None}
        assert str(ASSOCIATED_TOKEN_PROGRAM_ID) in {k["pubkey"] for k in
                                                    (await raw_rpc(localnet.rpc_url, "getTransaction", [
                                                        str(setup_sig), {"encoding": "jsonParsed"}]))[
                                                        "result"]["transaction"]["message"]["accountKeys"]}

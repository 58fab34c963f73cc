"""getTransaction's ``jsonParsed`` encoding: UiParsedMessage and parsed instructions.

Why: web3.js ``getParsedTransaction`` and explorers read ``jsonParsed`` replies (account keys
as objects with signer/writable flags; System, SPL Token, Associated Token Account and Memo
instructions decoded). Shapes and field names follow Agave's transaction-status crate
(``parse_instruction.rs``, ``parse_system.rs``, ``parse_token.rs``, ``parse_associated_token.rs``,
``parse_accounts.rs``); what Agave cannot parse is shown partially decoded
(``{programId, accounts, data, stackHeight}``), exactly as ``parse_ui_instruction`` falls back.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from protocol.base58 import b58decode, b58encode
from localnet.rpc.encoders import TOKEN_PROGRAMS, ui_token_amount

SYSTEM = "11111111111111111111111111111111"
ATA = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
MEMO_IDS = {"Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo", "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"}
UPGRADEABLE_LOADER = "BPFLoaderUpgradeab1e11111111111111111111111"
# Agave's ReservedAccountKeys (all activated): never shown writable, whatever the header says.
RESERVED_KEYS = frozenset({
    "AddressLookupTab1e1111111111111111111111111", "BPFLoader1111111111111111111111111111111111",
    "BPFLoader2111111111111111111111111111111111", UPGRADEABLE_LOADER,
    "ComputeBudget111111111111111111111111111111", "Config1111111111111111111111111111111111111",
    "Ed25519SigVerify111111111111111111111111111", "Feature111111111111111111111111111111111111",
    "LoaderV411111111111111111111111111111111111", "NativeLoader1111111111111111111111111111111",
    "KeccakSecp256k11111111111111111111111111111", "Secp256r1SigVerify1111111111111111111111111",
    "Stake11111111111111111111111111111111111111", "StakeConfig11111111111111111111111111111111",
    SYSTEM, "Vote111111111111111111111111111111111111111", "ZkE1Gama1Proof11111111111111111111111111111",
    "ZkTokenProof1111111111111111111111111111111", "SysvarC1ock11111111111111111111111111111111",
    "SysvarEpochRewards1111111111111111111111111", "SysvarEpochSchedu1e111111111111111111111111",
    "SysvarFees111111111111111111111111111111111", "Sysvar1nstructions1111111111111111111111111",
    "SysvarLastRestartS1ot1111111111111111111111", "SysvarRecentB1ockHashes11111111111111111111",
    "SysvarRent111111111111111111111111111111111", "SysvarRewards111111111111111111111111111111",
    "SysvarS1otHashes111111111111111111111111111", "SysvarS1otHistory11111111111111111111111111",
    "SysvarStakeHistory1111111111111111111111111",
})
AUTHORITY_TYPES = ("mintTokens", "freezeAccount", "accountOwner", "closeAccount")
# spl-token-2022 ExtensionType (u16 values 0..27) as Agave's UiExtensionType names them.
EXTENSION_TYPES = (
    "uninitialized", "transferFeeConfig", "transferFeeAmount", "mintCloseAuthority", "confidentialTransferMint",
    "confidentialTransferAccount", "defaultAccountState", "immutableOwner", "memoTransfer", "nonTransferable",
    "interestBearingConfig", "cpiGuard", "permanentDelegate", "nonTransferableAccount", "transferHook",
    "transferHookAccount", "confidentialTransferFeeConfig", "confidentialTransferFeeAmount", "metadataPointer",
    "tokenMetadata", "groupPointer", "tokenGroup", "groupMemberPointer", "tokenGroupMember",
    "confidentialMintBurn", "scaledUiAmount", "pausable", "pausableAccount",
)


class NotParsable(ValueError):
    """Agave's ParseInstructionError: the instruction is shown partially decoded instead."""


# ---------------------------------------------------------------- account keys

def parsed_account_keys(tx: VersionedTransaction) -> list[dict[str, Any]]:
    """ParsedAccount per static key, with Agave's writability (reserved keys and programs demoted)."""
    msg = tx.message
    keys = [str(k) for k in msg.account_keys]
    h = msg.header
    n_sig, ro_sig, ro_unsig = (h.num_required_signatures, h.num_readonly_signed_accounts,
                               h.num_readonly_unsigned_accounts)
    programs = {ix.program_id_index for ix in msg.instructions}
    demote_programs = UPGRADEABLE_LOADER not in keys
    out = []
    for i, key in enumerate(keys):
        writable = i < n_sig - ro_sig if i < n_sig else i < len(keys) - ro_unsig
        if key in RESERVED_KEYS or (demote_programs and i in programs):
            writable = False
        out.append({"pubkey": key, "writable": writable, "signer": i < n_sig, "source": "transaction"})
    return out


# ---------------------------------------------------------------- byte readers

class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise NotParsable("instruction data too short")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def f64(self) -> float:
        return struct.unpack("<d", self.take(8))[0]

    def pubkey(self) -> str:
        return str(Pubkey.from_bytes(self.take(32)))

    def bincode_str(self) -> str:
        n = self.u64()
        try:
            return self.take(n).decode()
        except UnicodeDecodeError:
            raise NotParsable("seed is not UTF-8") from None

    def coption_pubkey(self) -> str | None:
        """spl-token's instruction COption: a 1-byte tag, then the key when the tag is 1."""
        tag = self.u8()
        if tag == 0:
            return None
        if tag != 1:
            raise NotParsable("bad COption tag")
        return self.pubkey()


def _need(accounts: list[str], n: int) -> None:
    if len(accounts) < n:
        raise NotParsable("instruction key mismatch")


def _enum(type_: str, info: dict[str, Any]) -> dict[str, Any]:
    return {"info": info, "type": type_}


# ---------------------------------------------------------------- System

def parse_system(data: bytes, a: list[str]) -> dict[str, Any]:
    r = _Reader(data)
    tag = r.u32()
    if tag == 0:
        lamports, space, owner = r.u64(), r.u64(), r.pubkey()
        _need(a, 2)
        return _enum("createAccount", {"source": a[0], "newAccount": a[1], "lamports": lamports,
                                       "space": space, "owner": owner})
    if tag == 1:
        owner = r.pubkey()
        _need(a, 1)
        return _enum("assign", {"account": a[0], "owner": owner})
    if tag == 2:
        lamports = r.u64()
        _need(a, 2)
        return _enum("transfer", {"source": a[0], "destination": a[1], "lamports": lamports})
    if tag == 3:
        base, seed, lamports, space, owner = r.pubkey(), r.bincode_str(), r.u64(), r.u64(), r.pubkey()
        _need(a, 2)
        return _enum("createAccountWithSeed", {"source": a[0], "newAccount": a[1], "base": base, "seed": seed,
                                               "lamports": lamports, "space": space, "owner": owner})
    if tag == 4:
        _need(a, 3)
        return _enum("advanceNonce", {"nonceAccount": a[0], "recentBlockhashesSysvar": a[1],
                                      "nonceAuthority": a[2]})
    if tag == 5:
        lamports = r.u64()
        _need(a, 5)
        return _enum("withdrawFromNonce", {"nonceAccount": a[0], "destination": a[1],
                                           "recentBlockhashesSysvar": a[2], "rentSysvar": a[3],
                                           "nonceAuthority": a[4], "lamports": lamports})
    if tag == 6:
        authority = r.pubkey()
        _need(a, 3)
        return _enum("initializeNonce", {"nonceAccount": a[0], "recentBlockhashesSysvar": a[1],
                                         "rentSysvar": a[2], "nonceAuthority": authority})
    if tag == 7:
        authority = r.pubkey()
        _need(a, 2)
        return _enum("authorizeNonce", {"nonceAccount": a[0], "nonceAuthority": a[1], "newAuthorized": authority})
    if tag == 8:
        space = r.u64()
        _need(a, 1)
        return _enum("allocate", {"account": a[0], "space": space})
    if tag == 9:
        base, seed, space, owner = r.pubkey(), r.bincode_str(), r.u64(), r.pubkey()
        _need(a, 2)
        return _enum("allocateWithSeed", {"account": a[0], "base": base, "seed": seed, "space": space,
                                          "owner": owner})
    if tag == 10:
        base, seed, owner = r.pubkey(), r.bincode_str(), r.pubkey()
        _need(a, 2)
        return _enum("assignWithSeed", {"account": a[0], "base": base, "seed": seed, "owner": owner})
    if tag == 11:
        lamports, seed, owner = r.u64(), r.bincode_str(), r.pubkey()
        _need(a, 3)
        return _enum("transferWithSeed", {"source": a[0], "sourceBase": a[1], "destination": a[2],
                                          "lamports": lamports, "sourceSeed": seed, "sourceOwner": owner})
    if tag == 12:
        _need(a, 1)
        return _enum("upgradeNonce", {"nonceAccount": a[0]})
    raise NotParsable("unknown System instruction")


# ---------------------------------------------------------------- SPL Token

def _signers(info: dict[str, Any], a: list[str], last_nonsigner: int, owner_field: str, multisig_field: str) -> None:
    """Agave's ``parse_signers``: a single authority, or a multisig and its signers."""
    owner = a[last_nonsigner] if last_nonsigner < len(a) else None
    if len(a) > last_nonsigner + 1:
        if owner is not None:
            info[multisig_field] = owner
        info["signers"] = a[last_nonsigner + 1:]
    elif owner is not None:
        info[owner_field] = owner


def parse_token(data: bytes, a: list[str]) -> dict[str, Any]:
    r = _Reader(data)
    tag = r.u8()
    if tag in (0, 20):  # InitializeMint / InitializeMint2
        decimals, authority, freeze = r.u8(), r.pubkey(), r.coption_pubkey()
        _need(a, 2 if tag == 0 else 1)
        info: dict[str, Any] = {"mint": a[0], "decimals": decimals, "mintAuthority": authority}
        if tag == 0:
            info["rentSysvar"] = a[1]
        if freeze is not None:
            info["freezeAuthority"] = freeze
        return _enum("initializeMint" if tag == 0 else "initializeMint2", info)
    if tag == 1:
        _need(a, 4)
        return _enum("initializeAccount", {"account": a[0], "mint": a[1], "owner": a[2], "rentSysvar": a[3]})
    if tag in (2, 19):  # InitializeMultisig / InitializeMultisig2
        m = r.u8()
        first = 2 if tag == 2 else 1
        _need(a, first + 1)
        info = {"multisig": a[0], "signers": a[first:], "m": m}
        if tag == 2:
            info["rentSysvar"] = a[1]
        return _enum("initializeMultisig" if tag == 2 else "initializeMultisig2", info)
    if tag in (3, 4, 7, 8):  # Transfer / Approve / MintTo / Burn
        amount = str(r.u64())
        _need(a, 3)
        name, fields, owner, multisig = {
            3: ("transfer", ("source", "destination"), "authority", "multisigAuthority"),
            4: ("approve", ("source", "delegate"), "owner", "multisigOwner"),
            7: ("mintTo", ("mint", "account"), "mintAuthority", "multisigMintAuthority"),
            8: ("burn", ("account", "mint"), "authority", "multisigAuthority"),
        }[tag]
        info = {fields[0]: a[0], fields[1]: a[1], "amount": amount}
        _signers(info, a, 2, owner, multisig)
        return _enum(name, info)
    if tag == 5:
        _need(a, 2)
        info = {"source": a[0]}
        _signers(info, a, 1, "owner", "multisigOwner")
        return _enum("revoke", info)
    if tag == 6:
        kind, new_authority = r.u8(), r.coption_pubkey()
        if kind >= len(AUTHORITY_TYPES):
            raise NotParsable("authority type of a Token-2022 extension")
        _need(a, 2)
        info = {"mint" if kind in (0, 1) else "account": a[0], "authorityType": AUTHORITY_TYPES[kind],
                "newAuthority": new_authority}
        _signers(info, a, 1, "authority", "multisigAuthority")
        return _enum("setAuthority", info)
    if tag in (9, 10, 11):  # CloseAccount / FreezeAccount / ThawAccount
        _need(a, 3)
        if tag == 9:
            info = {"account": a[0], "destination": a[1]}
            _signers(info, a, 2, "owner", "multisigOwner")
            return _enum("closeAccount", info)
        info = {"account": a[0], "mint": a[1]}
        _signers(info, a, 2, "freezeAuthority", "multisigFreezeAuthority")
        return _enum("freezeAccount" if tag == 10 else "thawAccount", info)
    if tag in (12, 13):  # TransferChecked / ApproveChecked
        amount, decimals = r.u64(), r.u8()
        _need(a, 4)
        third = "destination" if tag == 12 else "delegate"
        info = {"source": a[0], "mint": a[1], third: a[2], "tokenAmount": ui_token_amount(amount, decimals)}
        if tag == 12:
            _signers(info, a, 3, "authority", "multisigAuthority")
        else:
            _signers(info, a, 3, "owner", "multisigOwner")
        return _enum("transferChecked" if tag == 12 else "approveChecked", info)
    if tag in (14, 15):  # MintToChecked / BurnChecked
        amount, decimals = r.u64(), r.u8()
        _need(a, 3)
        if tag == 14:
            info = {"mint": a[0], "account": a[1], "tokenAmount": ui_token_amount(amount, decimals)}
            _signers(info, a, 2, "mintAuthority", "multisigMintAuthority")
            return _enum("mintToChecked", info)
        info = {"account": a[0], "mint": a[1], "tokenAmount": ui_token_amount(amount, decimals)}
        _signers(info, a, 2, "authority", "multisigAuthority")
        return _enum("burnChecked", info)
    if tag in (16, 18):  # InitializeAccount2 / InitializeAccount3
        owner_key = r.pubkey()
        _need(a, 3 if tag == 16 else 2)
        info = {"account": a[0], "mint": a[1], "owner": owner_key}
        if tag == 16:
            info["rentSysvar"] = a[2]
        return _enum("initializeAccount2" if tag == 16 else "initializeAccount3", info)
    if tag in (17, 22):  # SyncNative / InitializeImmutableOwner
        _need(a, 1)
        return _enum("syncNative" if tag == 17 else "initializeImmutableOwner", {"account": a[0]})
    if tag == 21:  # GetAccountDataSize [u16 extension types] (the ATA program asks with ImmutableOwner)
        rest = data[1:]
        if len(rest) % 2:
            raise NotParsable("odd extension type bytes")
        kinds = [int.from_bytes(rest[i:i + 2], "little") for i in range(0, len(rest), 2)]
        if any(k >= len(EXTENSION_TYPES) for k in kinds):
            raise NotParsable("unknown extension type")
        _need(a, 1)
        info = {"mint": a[0]}
        if kinds:
            info["extensionTypes"] = [EXTENSION_TYPES[k] for k in kinds]
        return _enum("getAccountDataSize", info)
    if tag == 23:
        amount = str(r.u64())
        _need(a, 1)
        return _enum("amountToUiAmount", {"mint": a[0], "amount": amount})
    if tag == 24:
        try:
            ui_amount = data[1:].decode()
        except UnicodeDecodeError:
            raise NotParsable("ui amount is not UTF-8") from None
        _need(a, 1)
        return _enum("uiAmountToAmount", {"mint": a[0], "uiAmount": ui_amount})
    raise NotParsable("unknown or Token-2022 extension instruction")


# ---------------------------------------------------------------- ATA and Memo

def parse_associated_token(data: bytes, a: list[str]) -> dict[str, Any]:
    kind = 0 if not data else data[0]
    if len(data) > 1 or kind > 2:
        raise NotParsable("unknown Associated Token Account instruction")
    if kind == 2:
        _need(a, 7)
        return _enum("recoverNested", {"nestedSource": a[0], "nestedMint": a[1], "destination": a[2],
                                       "nestedOwner": a[3], "ownerMint": a[4], "wallet": a[5],
                                       "tokenProgram": a[6]})
    _need(a, 6)
    return _enum("create" if kind == 0 else "createIdempotent", {
        "source": a[0], "account": a[1], "wallet": a[2], "mint": a[3], "systemProgram": a[4],
        "tokenProgram": a[5]})


def parse_memo(data: bytes, _a: list[str]) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise NotParsable("memo is not UTF-8") from None


PARSERS: dict[str, tuple[str, Callable[[bytes, list[str]], Any], bool]] = {
    # program id -> (program name, parser, needs at least one in-range account)
    SYSTEM: ("system", parse_system, True),
    ATA: ("spl-associated-token-account", parse_associated_token, True),
    **{str(p): ("spl-token", parse_token, True) for p in TOKEN_PROGRAMS},
    **{m: ("spl-memo", parse_memo, False) for m in MEMO_IDS},
}


def parse_ui_instruction(keys: list[str], program_index: int, accounts: list[int], data: bytes,
                         stack_height: int | None) -> dict[str, Any]:
    """Agave's ``parse_ui_instruction``: parsed when the program is known and the data decodes."""
    program_id = keys[program_index]
    entry = PARSERS.get(program_id)
    if entry is not None:
        name, parser, needs_accounts = entry
        in_range = bool(accounts) and max(accounts) < len(keys)
        if in_range or not needs_accounts:
            try:
                parsed = parser(data, [keys[i] for i in accounts if i < len(keys)])
            except NotParsable:
                parsed = None
            if parsed is not None:
                return {"program": name, "programId": program_id, "parsed": parsed, "stackHeight": stack_height}
    return {"programId": program_id, "accounts": [keys[i] for i in accounts if i < len(keys)],
            "data": b58encode(data), "stackHeight": stack_height}


def parsed_message(tx: VersionedTransaction) -> dict[str, Any]:
    """UiParsedMessage: accountKeys objects, recentBlockhash, parsed instructions (top level: no stackHeight)."""
    msg = tx.message
    keys = [str(k) for k in msg.account_keys]
    out: dict[str, Any] = {
        "accountKeys": parsed_account_keys(tx),
        "recentBlockhash": str(msg.recent_blockhash),
        "instructions": [parse_ui_instruction(keys, ix.program_id_index, list(bytes(ix.accounts)),
                                              bytes(ix.data), None) for ix in msg.instructions],
    }
    lookups = getattr(msg, "address_table_lookups", None)
    if lookups is not None:
        out["addressTableLookups"] = [
            {"accountKey": str(lk.account_key), "writableIndexes": list(bytes(lk.writable_indexes)),
             "readonlyIndexes": list(bytes(lk.readonly_indexes))} for lk in lookups]
    return out


def parsed_meta(meta: dict[str, Any], tx: VersionedTransaction) -> dict[str, Any]:
    """The json meta with inner instructions parsed; ``loadedAddresses`` is skipped (Agave's ``parse``)."""
    keys = [str(k) for k in tx.message.account_keys]
    out = dict(meta)
    out.pop("loadedAddresses", None)
    inner = meta.get("innerInstructions")
    if inner is not None:
        out["innerInstructions"] = [
            {"index": group["index"], "instructions": [
                parse_ui_instruction(keys, ix["programIdIndex"], list(ix["accounts"]), b58decode(ix["data"]),
                                     ix.get("stackHeight")) for ix in group["instructions"]]}
            for group in inner]
    return out

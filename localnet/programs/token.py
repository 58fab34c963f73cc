"""SPL Token (Tokenkeg…) in Python, byte-compatible with the classic program.

Instruction layouts, state layouts, error codes, the order of checks and the log lines
(``Instruction: Transfer``, ``Error: insufficient funds``) follow spl-token's processor.rs
(FACTS.md 6). Compute units: each instruction is charged what the classic program costs on
mainnet (e.g. Transfer 4645), so budgets sized against the real cluster hold here.
Multisig authorities are not supported (InitializeMultisig answers InvalidInstruction).
"""
from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from localnet.programs.token_state import (
    ACCOUNT_LEN, MINT_LEN, NATIVE_MINT, STATE_FROZEN, STATE_INITIALIZED, TOKEN_PROGRAM_ID, Mint,
    StateError, TokenAccount,
)
from localnet.runtime.program_api import ProgramError

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
INCINERATOR = Pubkey.from_string("1nc1nerator11111111111111111111111111111111")
RENT_SYSVAR_ID = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
U64_MAX = 2**64 - 1

TOKEN_ERRORS = (
    "Lamport balance below rent-exempt threshold", "insufficient funds", "Invalid Mint",
    "Account not associated with this Mint", "owner does not match", "the total supply of this token is fixed",
    "account or token already in use", "Invalid number of provided signers", "Invalid number of required signers",
    "State is uninitialized", "Instruction does not support native tokens",
    "Non-native account can only be closed if its balance is zero", "Invalid instruction",
    "Invalid account state for operation", "Operation overflowed",
    "Account does not support specified authority type", "This token mint cannot freeze accounts",
    "Account is frozen", "decimals different from the Mint decimals",
    "Instruction does not support non-native tokens",
)
(NOT_RENT_EXEMPT, INSUFFICIENT_FUNDS, INVALID_MINT, MINT_MISMATCH, OWNER_MISMATCH, FIXED_SUPPLY, ALREADY_IN_USE,
 _, _, UNINITIALIZED_STATE, NATIVE_NOT_SUPPORTED, NON_NATIVE_HAS_BALANCE, INVALID_INSTRUCTION, INVALID_STATE,
 OVERFLOW, AUTHORITY_TYPE_NOT_SUPPORTED, MINT_CANNOT_FREEZE, ACCOUNT_FROZEN, MINT_DECIMALS_MISMATCH, _) = range(20)

# tag -> (name, mainnet compute units of the classic program)
INSTRUCTIONS = {
    0: ("InitializeMint", 2967), 1: ("InitializeAccount", 3443), 3: ("Transfer", 4645), 4: ("Approve", 2904),
    5: ("Revoke", 2777), 6: ("SetAuthority", 3158), 7: ("MintTo", 4538), 8: ("Burn", 4753),
    9: ("CloseAccount", 2916), 10: ("FreezeAccount", 4362), 11: ("ThawAccount", 4362),
    12: ("TransferChecked", 6200), 13: ("ApproveChecked", 4456), 14: ("MintToChecked", 4586),
    15: ("BurnChecked", 4800), 16: ("InitializeAccount2", 3368), 17: ("SyncNative", 3045),
    18: ("InitializeAccount3", 3158), 20: ("InitializeMint2", 2828), 21: ("GetAccountDataSize", 1622),
    22: ("InitializeImmutableOwner", 1405), 23: ("AmountToUiAmount", 2500),
}
_LOG_COST = 100


def token_error(code: int) -> ProgramError:
    return ProgramError.custom(code, f"Error: {TOKEN_ERRORS[code]}")


class TokenProgram:
    program_id = TOKEN_PROGRAM_ID
    base_compute_units = 0

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        data = bytes(data)
        try:
            self._dispatch(ctx, accounts, data)
        except ProgramError as exc:
            if exc.custom_code is not None and exc.custom_code < len(TOKEN_ERRORS):
                ctx.log(f"Error: {TOKEN_ERRORS[exc.custom_code]}")
            elif isinstance(exc.error, str) and exc.error != "ComputationalBudgetExceeded":
                ctx.log(f"Error: {exc.error}")
            raise

    # -------------------------------------------------------------------------------------
    def _dispatch(self, ctx, accounts, data: bytes) -> None:
        tag = data[0] if data else None
        if tag not in INSTRUCTIONS:
            ctx.consume(94)
            raise token_error(INVALID_INSTRUCTION)
        name, cost = INSTRUCTIONS[tag]
        ctx.log(f"Instruction: {name}")
        ctx.consume(cost - _LOG_COST)
        body = data[1:]
        it = iter(accounts)

        def nxt():
            try:
                return next(it)
            except StopIteration:
                raise ProgramError("NotEnoughAccountKeys") from None

        if tag in (0, 20):
            decimals, auth, freeze = _decode_init_mint(body)
            mint_info = nxt()
            if tag == 0:
                _check_rent_sysvar(nxt())
            self._initialize_mint(ctx, mint_info, decimals, auth, freeze)
        elif tag in (1, 16, 18):
            acct, mint_info = nxt(), nxt()
            if tag == 1:
                owner = nxt().key
                _check_rent_sysvar(nxt())
            else:
                owner = _pubkey(body, 0)
                if tag == 16:
                    _check_rent_sysvar(nxt())
            self._initialize_account(ctx, acct, mint_info, owner)
        elif tag in (3, 12):
            amount = _u64(body, 0)
            if tag == 12:
                decimals = _u8(body, 8)
                src, mint_info, dst, auth = nxt(), nxt(), nxt(), nxt()
                self._transfer(src, dst, auth, amount, (mint_info, decimals))
            else:
                src, dst, auth = nxt(), nxt(), nxt()
                self._transfer(src, dst, auth, amount, None)
        elif tag in (4, 13):
            amount = _u64(body, 0)
            src = nxt()
            expected = None
            if tag == 13:
                expected = (nxt(), _u8(body, 8))
            delegate, owner = nxt(), nxt()
            self._approve(src, delegate, owner, amount, expected)
        elif tag == 5:
            self._revoke(nxt(), nxt())
        elif tag == 6:
            self._set_authority(nxt(), nxt(), body)
        elif tag in (7, 14):
            amount = _u64(body, 0)
            expected = _u8(body, 8) if tag == 14 else None
            self._mint_to(nxt(), nxt(), nxt(), amount, expected)
        elif tag in (8, 15):
            amount = _u64(body, 0)
            expected = _u8(body, 8) if tag == 15 else None
            self._burn(nxt(), nxt(), nxt(), amount, expected)
        elif tag == 9:
            self._close(nxt(), nxt(), nxt())
        elif tag in (10, 11):
            self._freeze_thaw(nxt(), nxt(), nxt(), freeze=tag == 10)
        elif tag == 17:
            self._sync_native(nxt())
        elif tag == 21:
            mint_info = nxt()
            _check_owner(mint_info)
            _unpack_mint(mint_info)
            ctx.set_return_data(ACCOUNT_LEN.to_bytes(8, "little"))
        elif tag == 22:
            acct = nxt()
            if _unpack_account_unchecked(acct).state != 0:
                raise token_error(ALREADY_IN_USE)
            ctx.log("Please upgrade to SPL Token 2022 for immutable owner support")
        elif tag == 23:
            from localnet.programs.token_state import ui_amount_string

            mint = _unpack_mint(nxt(), check_owner=True)
            ctx.set_return_data(ui_amount_string(_u64(body, 0), mint.decimals).encode())

    # -------------------------------------------------------------------------------------
    @staticmethod
    def _initialize_mint(ctx, mint_info, decimals: int, auth: Pubkey, freeze: Pubkey | None) -> None:
        mint = _unpack_mint_unchecked(mint_info)
        if mint.is_initialized:
            raise token_error(ALREADY_IN_USE)
        if mint_info.lamports < ctx.rent().minimum_balance(len(mint_info.data)):
            raise token_error(NOT_RENT_EXEMPT)
        mint_info.data[:] = Mint(auth, 0, decimals, True, freeze).pack()

    @staticmethod
    def _initialize_account(ctx, acct, mint_info, owner: Pubkey) -> None:
        account = _unpack_account_unchecked(acct)
        if account.state != 0:
            raise token_error(ALREADY_IN_USE)
        reserve = ctx.rent().minimum_balance(len(acct.data))
        if acct.lamports < reserve:
            raise token_error(NOT_RENT_EXEMPT)
        native = mint_info.key == NATIVE_MINT
        if not native:
            _check_owner(mint_info)
            try:
                m = Mint.unpack_unchecked(bytes(mint_info.data))
            except StateError:
                raise token_error(INVALID_MINT) from None
            if not m.is_initialized:
                raise token_error(INVALID_MINT)
        amount = acct.lamports - reserve if native else 0
        acct.data[:] = TokenAccount(mint_info.key, owner, amount, None, STATE_INITIALIZED,
                                    reserve if native else None, 0, None).pack()

    @staticmethod
    def _transfer(src, dst, auth, amount: int, expected) -> None:
        source = _unpack_account(src)
        dest = _unpack_account(dst)
        if source.state == STATE_FROZEN or dest.state == STATE_FROZEN:
            raise token_error(ACCOUNT_FROZEN)
        if source.amount < amount:
            raise token_error(INSUFFICIENT_FUNDS)
        if source.mint != dest.mint:
            raise token_error(MINT_MISMATCH)
        _check_expected_mint(expected, source.mint)
        self_transfer = src.key == dst.key
        if source.delegate is not None and auth.key == source.delegate:
            _validate_owner(source.delegate, auth)
            if source.delegated_amount < amount:
                raise token_error(INSUFFICIENT_FUNDS)
            if not self_transfer:
                source.delegated_amount -= amount
                if source.delegated_amount == 0:
                    source.delegate = None
        else:
            _validate_owner(source.owner, auth)
        if self_transfer or amount == 0:
            _check_owner(src)
            _check_owner(dst)
        if self_transfer:
            return
        source.amount -= amount
        dest.amount += amount
        if dest.amount > U64_MAX:
            raise token_error(OVERFLOW)
        if source.is_native is not None:
            if src.lamports < amount:
                raise token_error(OVERFLOW)
            src.lamports -= amount
            dst.lamports += amount
        src.data[:] = source.pack()
        dst.data[:] = dest.pack()

    @staticmethod
    def _approve(src, delegate, owner, amount: int, expected) -> None:
        source = _unpack_account(src)
        if source.state == STATE_FROZEN:
            raise token_error(ACCOUNT_FROZEN)
        _check_expected_mint(expected, source.mint)
        _validate_owner(source.owner, owner)
        source.delegate = delegate.key
        source.delegated_amount = amount
        src.data[:] = source.pack()

    @staticmethod
    def _revoke(src, auth) -> None:
        source = _unpack_account(src)
        if source.state == STATE_FROZEN:
            raise token_error(ACCOUNT_FROZEN)
        expected = source.delegate if source.delegate is not None and source.delegate == auth.key else source.owner
        _validate_owner(expected, auth)
        source.delegate = None
        source.delegated_amount = 0
        src.data[:] = source.pack()

    @staticmethod
    def _set_authority(target, auth, body: bytes) -> None:
        if not body:
            raise token_error(INVALID_INSTRUCTION)
        kind = body[0]
        new, _ = _decode_copt_pubkey(body, 1)
        if len(target.data) == ACCOUNT_LEN:
            account = _unpack_account(target)
            if account.state == STATE_FROZEN:
                raise token_error(ACCOUNT_FROZEN)
            if kind == 2:
                _validate_owner(account.owner, auth)
                if new is None:
                    raise token_error(INVALID_INSTRUCTION)
                account.owner, account.delegate, account.delegated_amount = new, None, 0
                if account.is_native is not None:
                    account.close_authority = None
            elif kind == 3:
                _validate_owner(account.close_authority or account.owner, auth)
                account.close_authority = new
            else:
                raise token_error(AUTHORITY_TYPE_NOT_SUPPORTED)
            target.data[:] = account.pack()
        elif len(target.data) == MINT_LEN:
            mint = _unpack_mint(target)
            if kind == 0:
                if mint.mint_authority is None:
                    raise token_error(FIXED_SUPPLY)
                _validate_owner(mint.mint_authority, auth)
                mint.mint_authority = new
            elif kind == 1:
                if mint.freeze_authority is None:
                    raise token_error(MINT_CANNOT_FREEZE)
                _validate_owner(mint.freeze_authority, auth)
                mint.freeze_authority = new
            else:
                raise token_error(AUTHORITY_TYPE_NOT_SUPPORTED)
            target.data[:] = mint.pack()
        else:
            raise ProgramError("InvalidArgument")

    @staticmethod
    def _mint_to(mint_info, dst, auth, amount: int, expected: int | None) -> None:
        dest = _unpack_account(dst)
        if dest.state == STATE_FROZEN:
            raise token_error(ACCOUNT_FROZEN)
        if dest.is_native is not None:
            raise token_error(NATIVE_NOT_SUPPORTED)
        if mint_info.key != dest.mint:
            raise token_error(MINT_MISMATCH)
        mint = _unpack_mint(mint_info)
        if expected is not None and expected != mint.decimals:
            raise token_error(MINT_DECIMALS_MISMATCH)
        if mint.mint_authority is None:
            raise token_error(FIXED_SUPPLY)
        _validate_owner(mint.mint_authority, auth)
        if amount == 0:
            _check_owner(mint_info)
            _check_owner(dst)
        dest.amount += amount
        mint.supply += amount
        if dest.amount > U64_MAX or mint.supply > U64_MAX:
            raise token_error(OVERFLOW)
        dst.data[:] = dest.pack()
        mint_info.data[:] = mint.pack()

    @staticmethod
    def _burn(src, mint_info, auth, amount: int, expected: int | None) -> None:
        source = _unpack_account(src)
        mint = _unpack_mint(mint_info)
        if source.state == STATE_FROZEN:
            raise token_error(ACCOUNT_FROZEN)
        if source.is_native is not None:
            raise token_error(NATIVE_NOT_SUPPORTED)
        if source.amount < amount:
            raise token_error(INSUFFICIENT_FUNDS)
        if mint_info.key != source.mint:
            raise token_error(MINT_MISMATCH)
        if expected is not None and expected != mint.decimals:
            raise token_error(MINT_DECIMALS_MISMATCH)
        if source.owner not in (SYSTEM_PROGRAM_ID, INCINERATOR):
            if source.delegate is not None and auth.key == source.delegate:
                _validate_owner(source.delegate, auth)
                if source.delegated_amount < amount:
                    raise token_error(INSUFFICIENT_FUNDS)
                source.delegated_amount -= amount
                if source.delegated_amount == 0:
                    source.delegate = None
            else:
                _validate_owner(source.owner, auth)
        if amount == 0:
            _check_owner(src)
            _check_owner(mint_info)
        source.amount -= amount
        if mint.supply < amount:
            raise token_error(OVERFLOW)
        mint.supply -= amount
        src.data[:] = source.pack()
        mint_info.data[:] = mint.pack()

    @staticmethod
    def _close(src, dst, auth) -> None:
        if src.key == dst.key:
            raise ProgramError("InvalidAccountData")
        source = _unpack_account(src)
        if source.is_native is None and source.amount != 0:
            raise token_error(NON_NATIVE_HAS_BALANCE)
        if source.owner not in (SYSTEM_PROGRAM_ID, INCINERATOR):
            _validate_owner(source.close_authority or source.owner, auth)
        elif dst.key != INCINERATOR:
            raise ProgramError("InvalidAccountData")
        dst.lamports += src.lamports
        src.lamports = 0
        src.data[:] = bytes(len(src.data))

    @staticmethod
    def _freeze_thaw(src, mint_info, auth, *, freeze: bool) -> None:
        source = _unpack_account(src)
        if source.is_native is not None:
            raise token_error(NATIVE_NOT_SUPPORTED)
        if mint_info.key != source.mint:
            raise token_error(MINT_MISMATCH)
        if freeze == (source.state == STATE_FROZEN):
            raise token_error(INVALID_STATE)
        mint = _unpack_mint(mint_info)
        if mint.freeze_authority is None:
            raise token_error(MINT_CANNOT_FREEZE)
        _validate_owner(mint.freeze_authority, auth)
        source.state = STATE_FROZEN if freeze else STATE_INITIALIZED
        src.data[:] = source.pack()

    @staticmethod
    def _sync_native(src) -> None:
        _check_owner(src)
        source = _unpack_account(src)
        if source.is_native is None:
            raise token_error(19)
        new_amount = src.lamports - source.is_native
        if new_amount < source.amount:
            raise ProgramError.custom(20)
        source.amount = new_amount
        src.data[:] = source.pack()


# ---------------------------------------------------------------------------------------------
def _u64(b: bytes, off: int) -> int:
    if len(b) < off + 8:
        raise token_error(INVALID_INSTRUCTION)
    return struct.unpack_from("<Q", b, off)[0]


def _u8(b: bytes, off: int) -> int:
    if len(b) < off + 1:
        raise token_error(INVALID_INSTRUCTION)
    return b[off]


def _pubkey(b: bytes, off: int) -> Pubkey:
    if len(b) < off + 32:
        raise token_error(INVALID_INSTRUCTION)
    return Pubkey.from_bytes(b[off:off + 32])


def _decode_copt_pubkey(b: bytes, off: int) -> tuple[Pubkey | None, int]:
    if len(b) <= off or b[off] > 1:
        raise token_error(INVALID_INSTRUCTION)
    if b[off] == 0:
        return None, off + 1
    return _pubkey(b, off + 1), off + 33


def _decode_init_mint(body: bytes) -> tuple[int, Pubkey, Pubkey | None]:
    decimals = _u8(body, 0)
    auth = _pubkey(body, 1)
    freeze, _ = _decode_copt_pubkey(body, 33)
    return decimals, auth, freeze


def _check_rent_sysvar(info) -> None:
    if info.key != RENT_SYSVAR_ID:
        raise ProgramError("InvalidArgument")


def _check_owner(info) -> None:
    if info.owner != TOKEN_PROGRAM_ID:
        raise ProgramError("IncorrectProgramId")


def _validate_owner(expected: Pubkey, info) -> None:
    if expected != info.key:
        raise token_error(OWNER_MISMATCH)
    if not info.is_signer:
        raise ProgramError("MissingRequiredSignature")


def _unpack_mint_unchecked(info) -> Mint:
    try:
        return Mint.unpack_unchecked(bytes(info.data))
    except StateError:
        raise ProgramError("InvalidAccountData") from None


def _check_expected_mint(expected, mint_key) -> None:
    """The `*_checked` variants name the mint and its decimals; both must match the account's."""
    if expected is None:
        return
    mint_info, decimals = expected
    if mint_info.key != mint_key:
        raise token_error(MINT_MISMATCH)
    if _unpack_mint(mint_info).decimals != decimals:
        raise token_error(MINT_DECIMALS_MISMATCH)


def _unpack_mint(info, check_owner: bool = False) -> Mint:
    if check_owner:
        _check_owner(info)
    mint = _unpack_mint_unchecked(info)
    if not mint.is_initialized:
        raise ProgramError("UninitializedAccount")
    return mint


def _unpack_account_unchecked(info) -> TokenAccount:
    try:
        return TokenAccount.unpack_unchecked(bytes(info.data))
    except StateError:
        raise ProgramError("InvalidAccountData") from None


def _unpack_account(info) -> TokenAccount:
    account = _unpack_account_unchecked(info)
    if account.state == 0:
        raise ProgramError("UninitializedAccount")
    return account

"""SPL Memo v2 (MemoSq4g…): every account passed must sign; the memo must be UTF-8.

Logs are the mainnet program's: ``Signed by <key>`` per signer, then
``Memo (len N): "<memo>"`` (Rust ``{:?}`` of the string)."""
from __future__ import annotations

import json

from solders.pubkey import Pubkey

from localnet.runtime.program_api import ProgramError

MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


def _valid_up_to(data: bytes) -> int:
    try:
        data.decode()
        return len(data)
    except UnicodeDecodeError as exc:
        return exc.start


class MemoProgram:
    program_id = MEMO_PROGRAM_ID
    base_compute_units = 0

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        data = bytes(data)
        ctx.consume(300 + 2 * len(data))
        missing = False
        for a in accounts:
            if a.is_signer:
                ctx.log(f"Signed by {a.key}")
            else:
                missing = True
        if missing:
            raise ProgramError("MissingRequiredSignature")
        n = _valid_up_to(data)
        if n != len(data):
            ctx.log(f"Invalid UTF-8, from byte {n}")
            raise ProgramError("InvalidInstructionData")
        memo = data.decode()
        ctx.log(f"Memo (len {len(data)}): {json.dumps(memo, ensure_ascii=False)}")

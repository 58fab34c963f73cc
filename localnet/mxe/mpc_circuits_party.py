"""Test party for ``mpc_circuits``: party 0 inputs a batch of cases, all parties compute on shares.

    python -m localnet.mxe.mpc_circuits_party --index I --party HOST:PORT (×3) --job JOB.json --out OUT.json

Only party 0 receives the opened results (to compare with the plaintext model); the others must
end with nothing but the public crank statuses.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from localnet.mxe.mpc_options import mpyc_argv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=int, required=True)
    ap.add_argument("--party", action="append", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    sys.argv = mpyc_argv(sys.argv[0], args.index, args.party)
    from mpyc.runtime import mpc

    from localnet.mxe import mpc_circuits as mc
    from localnet.mxe.mpc_crypto import secfld

    with open(args.job) as f:
        cases = json.load(f)["cases"]

    async def run() -> dict:
        await mpc.start()
        results, statuses = [], []
        t0 = time.perf_counter()
        for c in cases:
            raw = [c["amount"], c["price"], c["fill"], c["offer_price"], c["offer_amount"]] if args.index == 0 else [None] * 5
            amount, price, fill, o_price, o_amount = mpc.input([secfld(v) for v in raw], senders=0)
            new_deal, offer, blob = await mc.submit_offer((amount, price, fill), o_price, o_amount)
            settled, status = await mc.crank_deal(new_deal, c["is_expired"], c["allow_partial"])
            offer_blob = await mc.crank_offer(offer, c["deal_success"])
            values = [v if not isinstance(v, int) else secfld(v) for v in
                      [*new_deal, *offer, *blob, *settled, *offer_blob]]
            opened = await mpc.output(values, receivers=[0])
            statuses.append(status)
            if args.index == 0:
                results.append([int(v.value) for v in opened])
        elapsed = time.perf_counter() - t0
        await mpc.shutdown()
        return {"statuses": statuses, "results": results, "seconds_per_case": elapsed / max(1, len(cases))}

    result = mpc.run(run())
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

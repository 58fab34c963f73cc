"""Opening secret-shared values with every party's share, checked for consistency (MPyC).

Why not MPyC's ``mpc.output``: it reconstructs from t+1 shares (a party's own and its t
predecessors'), so a party that sends garbage gives each honest party a different, wrong value
and nobody notices. Here every party sends its share to every party and each checks that all N
shares lie on one polynomial of degree t (with N = 2t+1 there is one share to spare per value),
so garbage makes every honest party abort instead of acting on a wrong value. Revealing all
shares of a value that is being opened anyway reveals nothing more: t+1 of them already fix the
polynomial.
"""
from __future__ import annotations

from mpyc.runtime import mpc

from protocol.rescue import P


class MpcAbort(Exception):
    """A peer sent malformed or inconsistent data: no result, and the session is suspect."""


async def shares(xs: list) -> list[int]:
    return [int(v.value) for v in await mpc.gather(list(xs))]


async def open_checked(xs: list) -> list[int]:
    """Open to every party from ALL shares, refusing shares that do not lie on one degree-t
    polynomial (MPyC's own opening uses only t+1 shares and would not notice)."""
    mine = await shares(xs)
    every = await mpc.transfer(mine)
    t, m = mpc.threshold, len(mpc.parties)
    try:
        rows = [[int(v) % P for v in every[i]] for i in range(m)]
        if any(len(r) != len(xs) for r in rows):
            raise MpcAbort("a peer opened a different number of values")
    except (TypeError, ValueError) as exc:
        raise MpcAbort(f"malformed shares from a peer: {exc}") from None
    base = list(range(t + 1))

    def at(xval: int, e: int) -> int:
        total = 0
        for k in base:
            num = den = 1
            for j in base:
                if j != k:
                    num = num * (xval - (j + 1)) % P
                    den = den * ((k + 1) - (j + 1)) % P
            total += rows[k][e] * num * pow(den, -1, P)
        return total % P
    out = []
    for e in range(len(xs)):
        for i in range(t + 1, m):
            if at(i + 1, e) != rows[i][e]:
                raise MpcAbort("a peer's shares are inconsistent: the computation is abandoned")
        out.append(at(0, e))
    return out

"""`python -m localnet up|faucet ...` = `anomi localnet up|faucet ...` (no console script needed).

Runs through protocol.cli_dispatch, the same dispatcher `anomi` uses, so a CliError or a bad
option is reported the same way, without the cluster importing the wallet.
"""
from __future__ import annotations

import sys

from localnet.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`python -m localnet up|faucet ...` = `anomi localnet up|faucet ...` (no console script needed).

Runs through wallet.cli.main so that CliError is reported the same way as from `anomi`.
"""
from __future__ import annotations

import sys

from wallet.cli import main

if __name__ == "__main__":
    sys.exit(main(["localnet", *sys.argv[1:]]))

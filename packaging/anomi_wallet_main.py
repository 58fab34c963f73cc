"""Entry point of the bundle's `anomi-wallet` binary (the desktop app)."""
import sys

from wallet.gui.app import main

if __name__ == "__main__":
    sys.exit(main())

"""Entry point of the bundle's `anomi` binary.

Why more than `wallet.cli.main`: in a frozen bundle there is no `python -m`, so the processes
started through a module (the embedded cluster and its side services as `localnet`, the child
guard; see protocol/entry_argv.py) are started as
`anomi --anomi-run-module <module> <args>`; that switch is handled here, before argparse sees it.
"""
import runpy
import sys

from protocol.entry_argv import RUN_MODULE_SWITCH

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == RUN_MODULE_SWITCH:
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        sys.exit(0)
    from wallet.cli import main

    sys.exit(main())

"""Run `anomi` commands as several wallets against the shared real localnet (tests only).

Each wallet is its own ANOMI_DATA_DIR; commands run in-process through wallet.cli.main with
--json and their stdout parsed, so a test reads exactly what a script would.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

from localnet.rpc.child_guard import guarded
from tests.integration.localnet_process import REPO_ROOT
from wallet.cli import main


class CliWallet:
    def __init__(self, name: str, root: Path):
        self.name = name
        self.data_dir = root / name

    @contextlib.contextmanager
    def _env(self) -> Iterator[None]:
        old = os.environ.get("ANOMI_DATA_DIR")
        os.environ["ANOMI_DATA_DIR"] = str(self.data_dir)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("ANOMI_DATA_DIR", None)
            else:
                os.environ["ANOMI_DATA_DIR"] = old

    def run(self, *argv: str, as_json: bool = True) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with self._env(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--json"] if as_json else list(argv))
        return code, out.getvalue(), err.getvalue()

    def ok(self, *argv: str) -> Any:
        code, out, err = self.run(*argv)
        assert code == 0, f"{self.name}: anomi {' '.join(argv)} failed ({code}): {err}"
        return json.loads(out)

    def refused(self, *argv: str) -> str:
        code, _out, err = self.run(*argv)
        assert code == 2, f"{self.name}: anomi {' '.join(argv)} should have been refused: {err}"
        return err


def start_payee_directory(rpc_url: str, data: Path, *, ignore_sigterm: bool = False,
                          timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """A standalone `anomi directory up` process on a free port (dies with the test run);
    returns it and its URL once it printed its ready line. ``ignore_sigterm`` starts it with
    SIGTERM ignored, as a child of a parent that ignores it would be."""
    argv = [sys.executable, "-c", "import sys; from wallet.cli import main; sys.exit(main())",
            "directory", "up", "--rpc-url", rpc_url, "--port", "0", "--data", str(data)]
    if ignore_sigterm:  # the ignore is inherited through exec, like a real parent's would be
        argv = ["sh", "-c", "trap '' TERM; exec \"$@\"", "sh", *argv]
    proc = subprocess.Popen(guarded(argv), cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    ready: list[str] = []
    got = threading.Event()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("directory: listening on"):
                ready.append(line.split()[3])
                got.set()
        got.set()
    threading.Thread(target=pump, daemon=True).start()
    if not (got.wait(timeout) and ready):
        stop_process(proc)
        raise AssertionError("the payee directory did not start")
    return proc, ready[0]


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


@contextlib.contextmanager
def payee_directory(rpc_url: str, data: Path) -> Iterator[str]:
    """A standalone `anomi directory up` process on a free port; yields its URL.

    (`anomi localnet up` runs one of its own and advertises it as `directoryUrl`; this is for
    the standalone command.)"""
    proc, url = start_payee_directory(rpc_url, data)
    try:
        yield url
    finally:
        stop_process(proc)

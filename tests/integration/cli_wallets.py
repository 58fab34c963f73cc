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


@contextlib.contextmanager
def payee_directory(rpc_url: str, data: Path) -> Iterator[str]:
    """A real `anomi directory serve` process on a free port; yields its URL."""
    argv = [sys.executable, "-c", "import sys; from wallet.cli import main; sys.exit(main())",
            "directory", "serve", "--url", rpc_url, "--port", "0", "--data", str(data)]
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
    try:
        assert got.wait(60) and ready, "the payee directory did not start"
        yield ready[0]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

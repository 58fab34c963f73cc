"""The desktop window's appearance is kept in config.json: saved values come back, and a file edited
by hand with an unknown theme or a nonsensical text size falls back to the defaults."""
from __future__ import annotations

import json
from pathlib import Path

from wallet.core.config import WalletConfig


def test_theme_and_font_scale_round_trip(tmp_path: Path) -> None:
    cfg = WalletConfig.load(tmp_path)
    assert (cfg.theme, cfg.font_scale) == ("light", 1.0)
    cfg.theme, cfg.font_scale = "dark", 1.3
    cfg.save()
    again = WalletConfig.load(tmp_path)
    assert (again.theme, again.font_scale) == ("dark", 1.3)


def test_bad_values_fall_back_to_the_defaults(tmp_path: Path) -> None:
    WalletConfig.load(tmp_path).save()
    path = tmp_path / "config.json"
    for theme, scale in (("neon", 1.0), ("dark", float("nan")), ("dark", 40.0), ("dark", -1)):
        doc = json.loads(path.read_text())
        doc.update(theme=theme, font_scale=scale)
        path.write_text(json.dumps(doc))
        cfg = WalletConfig.load(tmp_path)
        assert cfg.theme == ("dark" if theme == "dark" else "light")
        assert cfg.font_scale == 1.0

"""Settings > Appearance: light or dark theme and the text size, applied at once and kept.

Why its own box: the choice is saved in the wallet config (``theme``, ``font_scale``) with the
same atomic write as the cluster profile, off the GUI thread (it fsyncs), and applied live by
themes.py; a window built later (the next start) applies the saved values when it is made.
"""
from __future__ import annotations

import asyncio

import qasync
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget

from wallet.core.config import WalletConfig

from .table_widgets import MessageLabel
from .themes import FONT_SCALES, THEMES, apply_font_scale, apply_theme


class AppearanceBox(QGroupBox):
    def __init__(self, config: WalletConfig | None, parent: QWidget | None = None):
        super().__init__("Appearance", parent)
        self.config = config
        self.theme_box = QComboBox()
        self.theme_box.setAccessibleName("Theme")
        for theme in THEMES:
            self.theme_box.addItem(theme.title(), theme)
        self.scale_box = QComboBox()
        self.scale_box.setAccessibleName("Text size")
        for scale in FONT_SCALES:
            self.scale_box.addItem(f"{round(scale * 100)} %", scale)
        self.message = MessageLabel()
        if config is not None:
            self.theme_box.setCurrentIndex(max(0, self.theme_box.findData(config.theme)))
            nearest = min(FONT_SCALES, key=lambda s: abs(s - config.font_scale))
            self.scale_box.setCurrentIndex(FONT_SCALES.index(nearest))
        for box in (self.theme_box, self.scale_box):
            box.setEnabled(config is not None)
        form = QFormLayout(self)
        form.addRow("Theme", self.theme_box)
        form.addRow("Text size", self.scale_box)
        form.addRow(self.message)
        self.theme_box.currentIndexChanged.connect(self.on_theme)
        self.scale_box.currentIndexChanged.connect(self.on_scale)

    @qasync.asyncSlot(int)
    async def on_theme(self, _index: int) -> None:
        theme = apply_theme(self.theme_box.currentData())
        if self.config is not None:
            self.config.theme = theme
            await self._save(f"{theme} theme")

    @qasync.asyncSlot(int)
    async def on_scale(self, _index: int) -> None:
        scale = apply_font_scale(float(self.scale_box.currentData()))
        if self.config is not None:
            self.config.font_scale = scale
            await self._save(f"text size {round(scale * 100)} %")

    async def _save(self, what: str) -> None:
        assert self.config is not None
        try:
            await asyncio.to_thread(self.config.save)   # fsync: off the GUI thread
        except OSError as exc:
            self.message.error(f"{what} applied, but not saved: cannot write the settings file ({exc})")
            return
        self.message.info(f"{what} applied and saved")

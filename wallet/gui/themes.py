"""Light and dark themes and the text size: a Qt palette plus a small style sheet, applied live.

Why a palette first: every stock widget (tables, inputs, dialogs, the wizards) takes its colours
from the palette, so one palette switches the whole app, dialogs included; the style sheet only
adds what a palette cannot say (the header strip, the navigation list, figures in bold). The
"Fusion" style is used because it honours the palette the same way on every platform.

Why font scaling and not QT_SCALE_FACTOR: a font scale applies at once, to open windows too,
and scales text (what readers need enlarged) while leaving 1-pixel lines crisp; QT_SCALE_FACTOR
only takes effect when the process starts. The chosen scale is kept in the wallet config and
applied when the window is built.
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")
FONT_SCALES = (0.9, 1.0, 1.15, 1.3, 1.5)

_LIGHT = {"window": "#f6f7f9", "base": "#ffffff", "alt": "#eef1f5", "text": "#16181d", "mid": "#c9ced6",
          "button": "#e9ecf1", "highlight": "#2f6fdf", "hl_text": "#ffffff", "link": "#1f5bc4",
          "muted": "#5b6370", "header": "#e8ecf2", "nav": "#edf0f5", "ok": "#1d7a3a", "bad": "#b00020"}
_DARK = {"window": "#1c1f24", "base": "#14161a", "alt": "#22262c", "text": "#e6e8eb", "mid": "#3a3f47",
         "button": "#2a2e35", "highlight": "#4c8dff", "hl_text": "#0b0d10", "link": "#8ab4ff",
         "muted": "#a0a7b2", "header": "#252a31", "nav": "#20242a", "ok": "#5cc97f", "bad": "#ff6b7f"}
COLOURS = {"light": _LIGHT, "dark": _DARK}

_BASE_POINT_SIZE: dict[str, float] = {}   # the platform's default font size, read once


def palette_for(theme: str) -> QPalette:
    c = COLOURS[theme]
    p = QPalette()
    role = QPalette.ColorRole
    for r, key in ((role.Window, "window"), (role.WindowText, "text"), (role.Base, "base"),
                   (role.AlternateBase, "alt"), (role.Text, "text"), (role.Button, "button"),
                   (role.ButtonText, "text"), (role.Highlight, "highlight"),
                   (role.HighlightedText, "hl_text"), (role.Link, "link"), (role.ToolTipBase, "base"),
                   (role.ToolTipText, "text"), (role.PlaceholderText, "muted"), (role.Mid, "mid"),
                   (role.BrightText, "bad")):
        p.setColor(r, QColor(c[key]))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor(c["muted"]))
    return p


def style_sheet(theme: str) -> str:
    c = COLOURS[theme]
    return f"""
#headerBar {{ background: {c['header']}; border-bottom: 1px solid {c['mid']}; }}
#headerBar QLabel#figure {{ font-weight: 600; }}
#headerBar QLabel#statusOk {{ color: {c['ok']}; }}
#headerBar QLabel#statusBad {{ color: {c['bad']}; }}
#navSidebar {{ background: {c['nav']}; border: none; border-right: 1px solid {c['mid']}; }}
#navSidebar::item {{ padding: 5px 6px; }}
#navSidebar::item:selected {{ background: {c['highlight']}; color: {c['hl_text']}; }}
QLabel#figure {{ font-weight: 600; }}
QLabel#pageTitle {{ font-size: 15pt; font-weight: 600; }}
QLabel#muted {{ color: {c['muted']}; }}
QPlainTextEdit#cipher {{ font-family: monospace; color: {c['muted']}; }}
"""


def apply_theme(theme: str, app: QApplication | None = None) -> str:
    """Switch the whole application to ``theme`` ("light" or "dark"); returns the theme applied
    (an unknown name falls back to light)."""
    app = app or QApplication.instance()
    theme = theme if theme in THEMES else "light"
    if app is None:
        return theme
    app.setStyle("Fusion")
    app.setPalette(palette_for(theme))
    app.setStyleSheet(style_sheet(theme))
    app.setProperty("anomiTheme", theme)
    return theme


def current_theme(app: QApplication | None = None) -> str:
    app = app or QApplication.instance()
    value = app.property("anomiTheme") if app is not None else None
    return value if value in THEMES else "light"


def apply_font_scale(scale: float, app: QApplication | None = None) -> float:
    """Scale the application font (live) relative to the platform default; returns the scale used."""
    app = app or QApplication.instance()
    scale = min(FONT_SCALES, key=lambda s: abs(s - scale)) if scale > 0 else 1.0
    if app is None:
        return scale
    font = QFont(app.font())
    base = _BASE_POINT_SIZE.setdefault("pt", font.pointSizeF() if font.pointSizeF() > 0 else 10.0)
    font.setPointSizeF(base * scale)
    app.setFont(font)
    app.setProperty("anomiFontScale", scale)
    return scale

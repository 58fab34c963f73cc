"""A depth chart of the order book drawn with QPainter (no charting dependency).

Why cumulative steps: a trader reads depth as "how much USDC could I buy (or sell) up to this
price": bids accumulate from the best bid towards lower prices, asks from the best ask towards
higher prices, so the gap in the middle is the spread and each step is a price level.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from protocol.units import format_pkr, format_usdc

BID_COLOR = QColor(38, 166, 91)
ASK_COLOR = QColor(214, 69, 65)


def cumulative(levels: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(price, quantity) best first -> (price, running total) best first."""
    total, out = 0, []
    for price, qty in levels:
        total += qty
        out.append((price, total))
    return out


MAX_STEPS = 400   # more steps than pixels only costs paint time (a 10,000-level book)


def thin(steps: list[tuple[int, int]], limit: int = MAX_STEPS) -> list[tuple[int, int]]:
    """At most ~`limit` cumulative steps: the best level, every k-th one and the last (the curve's
    start, shape and total depth are kept)."""
    if len(steps) <= limit:
        return steps
    k = -(-len(steps) // limit)
    out = steps[::k]
    if out[-1] != steps[-1]:
        out.append(steps[-1])
    return out


class DepthChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bids: list[tuple[int, int]] = []   # cumulative, best (highest) first
        self.asks: list[tuple[int, int]] = []   # cumulative, best (lowest) first
        self.setMinimumSize(320, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_depth(self, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> None:
        """Per-level (price, quantity), best first, as BookSnapshot.depth() gives them."""
        self.bids, self.asks = thin(cumulative(bids)), thin(cumulative(asks))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        area = QRectF(self.rect()).adjusted(56, 12, -12, -24)
        p.setPen(self.palette().text().color())
        if not self.bids and not self.asks:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No orders in the book")
            p.end()
            return
        prices = [x for x, _ in self.bids + self.asks]
        lo, hi = min(prices), max(prices)
        pad = max((hi - lo) // 10, 100)
        lo, hi = max(0, lo - pad), hi + pad
        top = max(t for _, t in self.bids + self.asks)

        def pt(price: int, qty: int) -> QPointF:
            x = area.left() + (price - lo) / (hi - lo) * area.width()
            y = area.bottom() - qty / top * area.height()
            return QPointF(x, y)

        p.setPen(QPen(self.palette().mid().color(), 1))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawLine(area.bottomLeft(), area.topLeft())
        self._side(p, self.bids, lo, pt, BID_COLOR)
        self._side(p, self.asks, hi, pt, ASK_COLOR)
        p.setPen(self.palette().text().color())
        p.drawText(QRectF(0, area.top() - 6, 52, 14), Qt.AlignmentFlag.AlignRight, format_usdc(top))
        p.drawText(QRectF(0, area.bottom() - 8, 52, 14), Qt.AlignmentFlag.AlignRight, "0")
        label_y = area.bottom() + 4
        p.drawText(QRectF(area.left(), label_y, 120, 16), Qt.AlignmentFlag.AlignLeft, format_pkr(lo))
        p.drawText(QRectF(area.right() - 120, label_y, 120, 16), Qt.AlignmentFlag.AlignRight, format_pkr(hi))
        p.drawText(QRectF(area.center().x() - 150, label_y, 300, 16), Qt.AlignmentFlag.AlignCenter,
                   "price (PKR/USDC)")
        p.drawText(QRectF(area.center().x() - 150, area.top(), 300, 16), Qt.AlignmentFlag.AlignCenter,
                   "cumulative depth (USDC): bids left, asks right")
        p.end()

    @staticmethod
    def _side(p: QPainter, steps: list[tuple[int, int]], edge: int, pt, color: QColor) -> None:
        """A filled staircase from the best price outwards to the chart's edge price."""
        if not steps:
            return
        poly = QPolygonF()
        poly.append(pt(steps[0][0], 0))
        prev = 0
        for price, total in steps:
            poly.append(pt(price, prev))
            poly.append(pt(price, total))
            prev = total
        poly.append(pt(edge, prev))
        poly.append(pt(edge, 0))
        fill = QColor(color)
        fill.setAlpha(70)
        p.setBrush(fill)
        p.setPen(QPen(color, 2))
        p.drawPolygon(poly)

"""The settlement stepper: where the selected trade stands and the one thing to do next.

Why a renderer only: every decision (phase, headline, the primary action, the time left and
whether the bar is red) comes from wallet/core/trade_steps.trade_step, a pure function the unit
tests cover for every role, status and time. This widget draws a TradeStep - the steps in a row
(done, current, to do), the headline and its detail, the countdown on the cluster clock with a
bar that turns red under a quarter of the window, and ONE primary button - and emits
`actionRequested(Action)` when the button is clicked; the settlement view acts on it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from wallet.core.trade_steps import Action, TradeStep, format_left

BAR_STEPS = 1000
RED_CHUNK = "QProgressBar::chunk { background-color: #c62828; }"


class TradeStepper(QWidget):
    actionRequested = Signal(object)   # Action

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.step: TradeStep | None = None
        self.steps_row = QHBoxLayout()
        self.step_labels: list[QLabel] = []
        self.headline = QLabel("Select a matched order")
        self.headline.setObjectName("stepHeadline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.countdown_label = QLabel("")
        self.countdown = QProgressBar()
        self.countdown.setRange(0, BAR_STEPS)
        self.countdown.setTextVisible(False)
        self.countdown.setAccessibleName("time left until the deadline")
        self.countdown.setProperty("urgent", False)
        self.primary = QPushButton("")
        self.primary.setObjectName("primaryAction")
        self.primary.setDefault(True)
        self.primary.clicked.connect(self._clicked)

        layout = QVBoxLayout(self)
        layout.addLayout(self.steps_row)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        timer = QHBoxLayout()
        timer.addWidget(self.countdown, 1)
        timer.addWidget(self.countdown_label)
        layout.addLayout(timer)
        actions = QHBoxLayout()
        actions.addWidget(self.primary)
        actions.addStretch(1)
        self.actions_row = actions   # the view adds its secondary buttons here
        layout.addLayout(actions)
        self.show_step(None)

    # ------------------------------------------------------------------ reading (tests, accessibility)
    @property
    def action(self) -> Action | None:
        """The primary action offered now (None: nothing to do)."""
        return None if self.step is None else self.step.action

    def is_red(self) -> bool:
        return bool(self.countdown.property("urgent"))

    # ------------------------------------------------------------------ drawing
    def _set_steps(self, names: tuple[str, ...], current: int, final: bool) -> None:
        if [lbl.property("step") for lbl in self.step_labels] != list(names):
            for lbl in self.step_labels:
                self.steps_row.removeWidget(lbl)
                lbl.hide()          # gone now, deleted when the loop comes round
                lbl.deleteLater()
            self.step_labels = []
            for name in names:
                lbl = QLabel(name)
                lbl.setProperty("step", name)
                lbl.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.steps_row.addWidget(lbl, 1)
                self.step_labels.append(lbl)
        for i, lbl in enumerate(self.step_labels):
            name = lbl.property("step")
            done = i < current or (final and i == current)
            if done:
                lbl.setText(f"\u2713 {name}")
                lbl.setStyleSheet("color: #2e7d32;")
            elif i == current:
                lbl.setText(f"\u25CF {name}")
                lbl.setStyleSheet("font-weight: bold;")
            else:
                lbl.setText(name)
                lbl.setStyleSheet("color: palette(mid);")
            lbl.setAccessibleName(f"step {i + 1} of {len(self.step_labels)}: {name}, "
                                  f"{'done' if done else 'current' if i == current else 'to do'}")

    def show_step(self, step: TradeStep | None) -> None:
        self.step = step
        if step is None:
            self._set_steps((), 0, False)
            self.headline.setText("Select a matched order")
            self.detail.setText("")
            self.countdown_label.setText("")
            self.countdown.setValue(0)
            self._set_red(False)
            self.primary.setVisible(False)
            return
        self._set_steps(step.steps, step.current, step.final)
        self.headline.setText(step.headline)
        self.detail.setText(step.detail)
        open_ = not step.final and step.phase.value not in ("settled", "confirming")
        self.countdown.setVisible(open_)
        self.countdown_label.setVisible(open_)
        self.countdown.setValue(round(step.fraction_left * BAR_STEPS))
        self.countdown_label.setText(f"{format_left(step.seconds_left)} left" if step.seconds_left
                                     else "deadline passed" if open_ else "")
        self._set_red(step.urgent)
        self.primary.setVisible(step.action is not None)
        self.primary.setText(step.action_label)
        self.primary.setEnabled(step.action_enabled)
        self.primary.setAccessibleName(step.action_label or "no action")

    def _set_red(self, red: bool) -> None:
        if self.countdown.styleSheet() != (RED_CHUNK if red else ""):
            self.countdown.setProperty("urgent", red)
            self.countdown.setStyleSheet(RED_CHUNK if red else "")

    def _clicked(self) -> None:
        if self.step is not None and self.step.action is not None and self.step.action_enabled:
            self.actionRequested.emit(self.step.action)

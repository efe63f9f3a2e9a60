"""The Ladder tab's small plot: bitrate (log scale) against quality.

For a per-title job: one line per candidate size through its trial encodes, the hull (the best size
for each bitrate) as a thicker line, and the chosen rungs as stars labelled with their predicted
quality. For a fixed-ladder job with measured quality: the measured rungs only. Colours follow the
application's palette, so the plot reads in light and dark themes alike.
"""

from __future__ import annotations

import math

from PySide6.QtCharts import (
    QChart,
    QChartView,
    QLegend,
    QLineSeries,
    QLogValueAxis,
    QScatterSeries,
    QValueAxis,
    QXYSeries,
)
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from hlsstudio.qt.widgets.plan_summary import Plot, Point, quality_text

HEIGHT = 240  # px: fits beside (or under) the table in the side tab at 1280x720
MIN_WIDTH = 250
HULL = "Hull"
CHOSEN = "Chosen"
MEASURED = "Measured"
LIGHT_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#a16207")
DARK_COLOURS = ("#60a5fa", "#fb923c", "#4ade80", "#c084fc", "#f87171", "#22d3ee", "#facc15")
X_MARGIN = 1.3  # the log axis reaches this factor beyond the lowest and highest bitrates
STEPS = (1.0, 2.0, 5.0)


def size_colours(palette: QPalette) -> tuple[str, ...]:
    """The candidate sizes' colours: darker on a light window, lighter on a dark one."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return DARK_COLOURS if dark else LIGHT_COLOURS


def log_range(values: list[float]) -> tuple[float, float]:
    """A log axis's range around ``values`` (all > 0), holding at least one power of ten (a label)."""
    low, high = min(values) / X_MARGIN, max(values) * X_MARGIN
    if math.floor(math.log10(high)) == math.floor(math.log10(low)):  # no power of ten in between
        down, up = 10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high))
        low, high = (down, high) if low / down <= up / high else (low, up)
    return low, high


def nice_range(values: list[float], ceiling: float, ticks: int = 6) -> tuple[float, float, int]:
    """A quality axis's (low, high, tick count): round steps (1, 2 or 5 × a power of ten), at most
    ``ticks`` ticks, within 0 .. ``ceiling``."""
    low, high = min(values), max(values)
    span = max(high - low, ceiling / 50)
    for power in range(math.floor(math.log10(span / ticks)), math.ceil(math.log10(ceiling)) + 1):
        for step in (s * 10**power for s in STEPS):
            start = max(0.0, math.floor((low - span * 0.05) / step) * step)
            end = min(ceiling, math.ceil((high + span * 0.05) / step) * step)
            count = round((end - start) / step) + 1
            if count <= ticks:
                return start, end, max(count, 2)
    return 0.0, ceiling, 2


def _line(name: str, points: list[Point], colour: QColor, width: float) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.append([QPointF(x, y) for x, y in points])
    series.setPen(QPen(colour, width))
    return series


class HullChart(QChartView):
    """Shows a ``Plot`` (``show_plot``); hidden when there is nothing to draw."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plot: Plot | None = None
        chart = QChart()
        chart.setMargins(QMargins(0, 0, 0, 0))
        chart.layout().setContentsMargins(0, 0, 0, 0)
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        chart.legend().setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        self.x_axis = QLogValueAxis()
        self.x_axis.setBase(10.0)
        self.x_axis.setLabelFormat("%g")
        self.x_axis.setMinorTickCount(8)
        self.y_axis = QValueAxis()
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.setChart(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFixedHeight(HEIGHT)
        self.setMinimumWidth(MIN_WIDTH)
        self.show_plot(None)

    def plot(self) -> Plot | None:
        """The plot shown (None: none)."""
        return self._plot

    def show_plot(self, plot: Plot | None) -> None:
        """Draw ``plot`` in place of what was there; hide the chart when it has no point."""
        chart = self.chart()
        chart.removeAllSeries()
        points = [p for p in plot.all_points() if p[0] > 0] if plot is not None else []
        self._plot = plot if points else None
        self.setVisible(bool(points))
        if plot is None or not points:
            return
        colours, text = size_colours(self.palette()), self.palette().color(QPalette.ColorRole.Text)
        hull = QColor(text)
        hull.setAlpha(110)
        series: list[QXYSeries] = []
        if plot.hull:
            series.append(_line(HULL, plot.hull, hull, 5.0))
        for index, size in enumerate(plot.sizes):
            line = _line(size.name, size.points, QColor(colours[index % len(colours)]), 1.5)
            line.setPointsVisible(True)
            line.setMarkerSize(6.0)
            series.append(line)
        if plot.measured:
            measured = _line(MEASURED, plot.measured, QColor(colours[0]), 2.0)
            measured.setPointsVisible(True)
            measured.setMarkerSize(8.0)
            series.append(self._labelled(measured, plot))
        if plot.chosen:
            series.append(self._labelled(self._chosen(plot.chosen, text), plot))
        for each in series:
            chart.addSeries(each)
            each.attachAxis(self.x_axis)
            each.attachAxis(self.y_axis)
        self._set_ranges(plot, points)
        self._apply_colours()

    def _chosen(self, points: list[Point], colour: QColor) -> QScatterSeries:
        chosen = QScatterSeries()
        chosen.setName(CHOSEN)
        chosen.append([QPointF(x, y) for x, y in points])
        chosen.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeStar)
        chosen.setMarkerSize(15.0)
        chosen.setColor(colour)
        chosen.setBorderColor(self.palette().color(QPalette.ColorRole.Base))
        return chosen

    def _labelled(self, series: QXYSeries, plot: Plot) -> QXYSeries:
        """Each point labelled with its quality, written as the table writes it ("77.0", "0.9874")."""
        label = QXYSeries.PointConfiguration.LabelFormat
        for index, point in enumerate(series.points()):
            series.setPointConfiguration(index, label, quality_text(point.y(), plot.metric))
        series.setPointLabelsVisible(True)
        series.setPointLabelsClipping(False)
        return series

    def _set_ranges(self, plot: Plot, points: list[Point]) -> None:
        self.x_axis.setRange(*log_range([x for x, _ in points]))
        self.x_axis.setTitleText(plot.x_title)
        low, high, ticks = nice_range([y for _, y in points], 100.0 if plot.metric == "vmaf" else 1.0)
        self.y_axis.setRange(low, high)
        self.y_axis.setTickCount(ticks)
        self.y_axis.setLabelFormat("%.0f" if plot.metric == "vmaf" else "%.3f")
        self.y_axis.setTitleText(plot.y_title)

    def _apply_colours(self) -> None:
        """Background, text and grid from the palette (light and dark themes)."""
        palette, chart = self.palette(), self.chart()
        text = palette.color(QPalette.ColorRole.Text)
        grid, minor = palette.color(QPalette.ColorRole.Mid), palette.color(QPalette.ColorRole.Midlight)
        chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        self.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() - 1))
        chart.legend().setLabelColor(text)
        chart.legend().setFont(small)
        for axis in (self.x_axis, self.y_axis):
            axis.setLabelsColor(text)
            axis.setLabelsFont(small)
            axis.setTitleBrush(text)
            axis.setTitleFont(small)
            axis.setGridLineColor(grid)
            axis.setMinorGridLineColor(minor)
            axis.setLinePenColor(grid)
        for series in chart.series():
            if isinstance(series, QXYSeries):
                series.setPointLabelsColor(text)
                series.setPointLabelsFont(small)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.show_plot(self._plot)  # the theme changed: redraw in its colours

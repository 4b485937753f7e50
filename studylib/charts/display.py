"""Charts into a report: an image with alt text that says what it shows, and a phone rendering.

:func:`show` puts the current matplotlib figure into a notebook's output as a ``<picture>``: the
chart as drawn, and a phone layout whose text reads at 10 CSS px or more on a 390 px screen; its
alt text (:func:`describe_chart`) gives the chart's title and main figure. An empty chart becomes
a sentence (:func:`chart_is_empty`).
"""
from __future__ import annotations

from ..text import escape, redact
from ..prose.show import say

__all__ = ["show", "chart_html", "describe_chart", "chart_is_empty", "PHONE_WIDTH_PX", "PHONE_TEXT_PX"]


def _axis_value(ax, which: str, value: float) -> str:
    """A data value on an axis as words: a date on a date axis, else a number."""
    import matplotlib.dates as mdates
    axis = ax.xaxis if which == "x" else ax.yaxis
    if isinstance(axis.get_major_formatter(), (mdates.DateFormatter, mdates.ConciseDateFormatter, mdates.AutoDateFormatter)):
        try:
            stamp = mdates.num2date(value)
            return f"{stamp.day} {stamp:%B %Y}"
        except (ValueError, OverflowError):
            pass
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def describe_chart(fig) -> str:
    """Alt text from what a figure draws: its title, and its main figure (the largest bar, or the
    number and range of the points), so that a screen reader hears what the chart shows."""
    import numpy as np
    from matplotlib.patches import Rectangle
    parts = []
    for ax in fig.get_axes():
        if not ax.has_data():
            continue
        title = ax.get_title() or "Chart"
        bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0 and p.get_height() > 0]
        text = title
        main = getattr(ax, "studylib_main", None)
        if main:                      # the chart said its main figure from its own data
            text += f": {main}"
        elif bars:
            # Bars of one thickness lie along the other axis: equal heights mean horizontal bars.
            horizontal = len({round(b.get_height(), 6) for b in bars}) == 1 and len({round(b.get_width(), 6) for b in bars}) > 1
            sizes = [b.get_width() if horizontal else b.get_height() for b in bars]
            big = bars[int(np.argmax(sizes))]
            ticks = ax.get_yticklabels() if horizontal else ax.get_xticklabels()
            centre = big.get_y() + big.get_height() / 2 if horizontal else big.get_x() + big.get_width() / 2
            labels = [(abs((tk.get_position()[1] if horizontal else tk.get_position()[0]) - centre), tk.get_text())
                      for tk in ticks if tk.get_text()]
            name = min(labels)[1] if labels else ""
            unit = (ax.get_xlabel() if horizontal else ax.get_ylabel()) or "value"
            text += (f": {len(bars)} bars; the largest{' is ' + name.replace(chr(10), ' ') if name else ''}, "
                     f"at {max(sizes):,.0f} {unit}")
        else:
            xs, ys = [], []
            lines = ax.get_lines()
            # A chart that names its values (gid "values") is described by them, not its limit lines.
            lines = [ln for ln in lines if ln.get_gid() == "values"] or lines
            for line in lines:
                x = np.asarray(ax.convert_xunits(line.get_xdata()), dtype=float)
                y = np.asarray(ax.convert_yunits(line.get_ydata()), dtype=float)
                if len(x) > 2:
                    xs.append(x), ys.append(y)
            for coll in ([] if any(ln.get_gid() == "values" for ln in lines) else ax.collections):
                offsets = np.asarray(coll.get_offsets(), dtype=float)
                if offsets.ndim == 2 and len(offsets) > 1:
                    xs.append(offsets[:, 0]), ys.append(offsets[:, 1])
            if xs:
                x, y = np.concatenate(xs), np.concatenate(ys)
                ok = np.isfinite(x) & np.isfinite(y)
                x, y = x[ok], y[ok]
                if len(x):
                    unit = ax.get_ylabel() or "value"
                    text += (f": {len(x):,} points from {_axis_value(ax, 'x', x.min())} to {_axis_value(ax, 'x', x.max())}"
                             f", {unit} from {_axis_value(ax, 'y', y.min())} to {_axis_value(ax, 'y', y.max())}")
        parts.append(text + ".")
    overall = fig.get_suptitle()
    if overall and parts:          # small multiples: what they all show, then each panel
        parts.insert(0, f"{overall}, {len(parts)} panels.")
    return " ".join(parts) or "An empty chart."


def chart_is_empty(fig) -> bool:
    """True when a figure draws no value: no bar with a length, no line or point with data."""
    import numpy as np
    from matplotlib.patches import Rectangle
    for ax in fig.get_axes():
        if any(isinstance(p, Rectangle) and p.get_width() > 0 and p.get_height() > 0 for p in ax.patches):
            return False
        for line in ax.get_lines():
            if line.get_gid() not in ("target", "change") and len(np.atleast_1d(line.get_ydata())) > 1:
                return False
        for c in ax.collections:
            # vlines with no data still carries one default offset: judge a line collection by its segments
            if len(c.get_segments()) if hasattr(c, "get_segments") else len(c.get_offsets()):
                return False
        if ax.texts and not ax.axison:      # a drawing made of labelled boxes (the process map)
            return False
    return True


#: A phone shows a chart at most this many CSS pixels wide (a 390 px screen less the page margins).
PHONE_WIDTH_PX = 358


#: The smallest chart text on a phone, in CSS pixels.
PHONE_TEXT_PX = 10.0


_DPI = 100


def _phone_layout(fig) -> float:
    """Lay a figure out again for a phone: exactly :data:`PHONE_WIDTH_PX` wide (so it is shown at
    1:1), every text at least :data:`PHONE_TEXT_PX`, titles and long labels wrapped, the legend in
    one column below the chart, fewer ticks, details marked ``gid="detail"`` (labels along
    process-map arcs) left out; matplotlib's constrained layout keeps it all inside the figure.
    Returns the smallest text size drawn, in points."""
    import textwrap

    import matplotlib.dates as mdates
    from matplotlib.text import Text
    from matplotlib.ticker import MaxNLocator

    smallest = PHONE_TEXT_PX * 72 / _DPI
    _, h = fig.get_size_inches()
    fig.set_layout_engine("constrained")
    handles, names = [], []
    axes = fig.get_axes()
    if len(axes) > 1 and len({round(ax.get_position().x0, 2) for ax in axes}) > 1:
        # Small multiples side by side would each be a few dozen pixels wide: one column instead.
        from matplotlib.gridspec import GridSpec
        column = GridSpec(len(axes), 1, figure=fig)
        for i, ax in enumerate(sorted(axes, key=lambda a: (-round(a.get_position().y0, 2), a.get_position().x0))):
            ax.set_subplotspec(column[i, 0])
        h = 2.2 * len(axes) + 0.6
    # Every legend, the figure's and each panel's, as drawn (a panel's may carry another panel's
    # entries): one legend in one column below them all.
    for legend in [*fig.legends, *(ax.get_legend() for ax in axes if ax.get_legend() is not None)]:
        handles += list(legend.legend_handles)
        names += [t.get_text() for t in legend.get_texts()]
        legend.remove()
    for ax in axes:        # panels stacked one above the other sit close: the phone's height is for the charts
        grid = ax.get_subplotspec().get_gridspec()
        if (grid.hspace or 0) > 0.08:
            grid.update(hspace=0.08)
    legend_height = 0.16 * max(len(names) - 6, 0)      # a long legend takes height of its own
    fig.set_size_inches(PHONE_WIDTH_PX / _DPI, (max(h * 1.35, 3.6) if len(axes) < 2 else h) + legend_height)
    for ax in axes:
        if ax.get_title() and len(axes) == 1:
            # Over the whole figure, not the axes: long tick labels push the axes right.
            fig.suptitle(textwrap.fill(ax.get_title().replace("\n", " "), 34), fontsize=ax.title.get_fontsize())
            ax.set_title("")
        elif ax.get_title():
            ax.set_title(textwrap.fill(ax.get_title().replace("\n", " "), 30))
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), (mdates.ConciseDateFormatter, mdates.DateFormatter,
                                                       mdates.AutoDateFormatter)):
                locator = mdates.AutoDateLocator(minticks=2, maxticks=4)
                axis.set_major_locator(locator)
                axis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            elif isinstance(axis.get_major_locator(), MaxNLocator):
                axis.set_major_locator(MaxNLocator(nbins=4, integer=axis.get_major_locator()._integer))
        labels = ax.get_yticklabels()
        if labels and any(len(lb.get_text()) > 22 for lb in labels):
            ax.set_yticks(ax.get_yticks(), [textwrap.fill(lb.get_text().replace("\n", " "), 22) for lb in labels])
    if handles:
        fig.legend(handles, names, loc="outside lower left", ncol=1, frameon=False)
    for text in fig.findobj(Text):
        if text.get_gid() == "detail":
            text.set_visible(False)
        elif text.get_text():
            if text in getattr(text.axes, "texts", []) and len(text.get_text()) > 28 and "\n" not in text.get_text():
                text.set_text(textwrap.fill(text.get_text(), 26))
            text.set_fontsize(max(text.get_fontsize(), smallest))
    _fit_arcs(fig)
    return smallest


def _fit_arcs(fig, tries: int = 4) -> None:
    """Widen a panel's x range until its arcs (a process map's moves) lie inside it: an arc bows by
    a share of its length on the page, so a narrow, tall phone figure bowed them past its edge."""
    from matplotlib.patches import FancyArrowPatch
    for ax in fig.get_axes():
        arcs = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        if not arcs:
            continue
        for _ in range(tries):
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            box = ax.get_window_extent(renderer)
            left = min(a.get_window_extent(renderer).x0 for a in arcs)
            right = max(a.get_window_extent(renderer).x1 for a in arcs)
            centre = (box.x0 + box.x1) / 2
            reach = max(centre - left, right - centre)
            if reach <= box.width / 2:
                break
            lo, hi = ax.get_xlim()
            middle, half = (lo + hi) / 2, (hi - lo) / 2 * reach / (box.width / 2) * 1.04
            ax.set_xlim(middle - half, middle + half)


def private_text(fig) -> None:
    """Every string drawn on a chart through the reports' redaction, and never as mathtext:
    titles, axis labels, tick labels, legends and annotations alike (one path, as for prose)."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FixedLocator
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            # Tick labels are made when the chart is drawn: ask the formatter for them now instead.
            locs = axis.get_majorticklocs()
            labels = [str(label) for label in axis.get_major_formatter().format_ticks(locs)]
            hidden = [redact(label) for label in labels]
            if hidden != labels:
                axis.set_major_locator(FixedLocator(locs))
                axis.set_major_formatter(FixedFormatter(hidden))
    for text in fig.findobj(Text):
        text.set_parse_math(False)
        words = text.get_text()
        if words and redact(words) != words:
            text.set_text(redact(words))


def show(fig=None, *, alt: str | None = None):
    """Show a chart in a report (:func:`chart_html`), and close it."""
    from IPython.display import HTML, display
    display(HTML(chart_html(fig, alt=alt)))


def chart_html(fig=None, *, alt: str | None = None) -> str:
    """A chart as HTML for a report: an image with alt text that says what it shows and its main
    figure (:func:`describe_chart`, or ``alt``); redacted like every other string. Closes it.

    Two renderings go in one ``<picture>``: the chart as drawn, and a phone layout
    (:func:`_phone_layout`) that a screen up to 600 px wide shows instead, so that its text reads
    at :data:`PHONE_TEXT_PX` or more on a 390 px phone. The phone image records its smallest text
    in ``data-phone-text-px`` (in image pixels) for the reading test. An empty chart becomes a
    sentence that says why there is none.
    """
    import base64
    import io

    import matplotlib.pyplot as plt
    fig = plt.gcf() if fig is None else getattr(fig, "figure", fig)
    if chart_is_empty(fig):
        # An empty chart (axes of ±0.04) tells a reader nothing: a sentence says why there is none.
        title = next((ax.get_title() for ax in fig.get_axes() if ax.get_title()), "This chart")
        plt.close(fig)
        return say(f"{title}: nothing to chart yet, as no contact or case has a value for it.").data
    private_text(fig)
    words = alt or describe_chart(fig)

    def png(**kwargs) -> str:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI, **kwargs)
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    desktop = png(bbox_inches="tight")
    smallest_pt = _phone_layout(fig)
    phone = png()          # the figure's own size: exactly as wide as a phone shows it
    plt.close(fig)
    alt_text = escape(redact(words))
    return (f'<picture><source media="(max-width: 600px)" srcset="data:image/png;base64,{phone}">'
            f'<img src="data:image/png;base64,{desktop}" alt="{alt_text}" '
            f'data-phone-text-px="{smallest_pt * _DPI / 72:.1f}"></picture>')

"""Charts: each module draws what it is given, one module per stage; ``display.show`` puts a chart
in a report (redacted, with alt text, for desktop and phone).

Chart text is always literal: an activity called "Payment $5" is drawn as written, never read as
matplotlib's mathtext (which would fail, or set it in italics).
"""
import matplotlib

matplotlib.rcParams["text.parse_math"] = False

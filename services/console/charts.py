"""Charts drawn on the server as SVG: no script, no library, every bar a link.

Each function returns markup (escaped) for a template. Bars carry their
number and link to the cases behind it, so every figure drills down.
"""
from markupsafe import Markup, escape

PALETTE = {"assigned": "#d98c00", "signed_for": "#2f6fab", "replied": "#7a5cb8",
           "approved": "#1e7b3c", "late": "#b3261e", "bar": "#2f6fab", "muted": "#c5cfdb"}


def _text(x, y, value, anchor="start", css=""):
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(value)}</text>'


def hbars(rows, width=560, label_width=190, row_height=22, title=""):
    """Horizontal bars: ``rows`` of ``(label, value, href)``."""
    if not rows:
        return Markup("")
    top = max(v for _, v, _ in rows) or 1
    plot = width - label_width - 50
    height = row_height * len(rows) + 8
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    for i, (label, value, href) in enumerate(rows):
        y = 4 + i * row_height
        bar = plot * value / top
        parts.append(f'<a href="{escape(href)}">' if href else "<g>")
        parts.append(f'<title>{escape(label)}: {value}</title>')
        parts.append(_text(label_width - 6, y + row_height * 0.65, label, "end"))
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{max(bar, 1.5):.1f}" height="{row_height - 7}" '
                     f'fill="{PALETTE["bar"]}" rx="2"/>')
        parts.append(_text(label_width + bar + 5, y + row_height * 0.65, str(value)))
        parts.append("</a>" if href else "</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(rows, keys, labels, width=640, label_width=190, row_height=24, title=""):
    """Stacked bars: ``rows`` of ``(label, {key: value}, href_for(key))``; a legend on top."""
    if not rows:
        return Markup("")
    top = max(sum(v.get(k, 0) for k in keys) for _, v, _ in rows) or 1
    plot = width - label_width - 50
    height = row_height * len(rows) + 30
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    x = label_width
    for key in keys:  # legend
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE.get(key, PALETTE["bar"])}"/>')
        parts.append(_text(x + 14, 13, labels.get(key, key)))
        x += 14 + 13 * len(labels.get(key, key)) + 16
    for i, (label, values, href_for) in enumerate(rows):
        y = 24 + i * row_height
        parts.append(_text(label_width - 6, y + row_height * 0.65, label, "end"))
        x = label_width
        for key in keys:
            value = values.get(key, 0)
            if not value:
                continue
            w = plot * value / top
            parts.append(f'<a href="{escape(href_for(key))}"><title>{escape(label)} · '
                         f'{escape(labels.get(key, key))}: {value}</title>'
                         f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_height - 8}" '
                         f'fill="{PALETTE.get(key, PALETTE["bar"])}"/></a>')
            x += w
        parts.append(_text(x + 5, y + row_height * 0.65, str(sum(values.get(k, 0) for k in keys))))
    parts.append("</svg>")
    return Markup("".join(parts))


def heat(hours, width=720, title=""):
    """The staffing plan: one cell per hour of the week, darker with more operators."""
    if not hours:
        return Markup("")
    days = []
    for row in hours:
        if row["weekday"] not in days:
            days.append(row["weekday"])
    top = max(r["operators"] for r in hours) or 1
    cell_w, cell_h, left = (width - 50) / 24, 22, 44
    height = cell_h * len(days) + 22
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    for h in range(0, 24, 3):
        parts.append(_text(left + h * cell_w + 2, 12, f"{h:02d}"))
    for row in hours:
        d = days.index(row["weekday"])
        share = row["operators"] / top
        shade = int(235 - 180 * share)
        fill = f"rgb({shade},{shade + 10 if shade < 245 else 245},{255})"
        x, y = left + row["hour"] * cell_w, 16 + d * cell_h
        parts.append(f'<g><title>{escape(row["weekday"])} {row["hour"]:02d}:00 · {row["operators"]} · '
                     f'{row["calls"]}</title><rect x="{x:.1f}" y="{y}" width="{cell_w - 1:.1f}" '
                     f'height="{cell_h - 2}" fill="{fill}"/>'
                     + (_text(x + cell_w / 2, y + 15, str(row["operators"]), "middle", "small")
                        if row["operators"] else "") + "</g>")
    for d, name in enumerate(days):
        parts.append(_text(left - 6, 16 + d * cell_h + 15, name, "end"))
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(labels, series, stacked=False, top=None, reference=None, unit="", width=760, height=230, title=""):
    """Columns per label (the day's hours): ``series`` of ``(name, colour key, values)``, a value
    ``None`` where there is none; side by side, or ``stacked``; a legend on top; ``reference``
    ``(value, label)`` a dashed line across (a target). Each column says its number on hover."""
    if not labels or not series:
        return Markup("")
    def total(i):
        values = [s[2][i] or 0 for s in series]
        return sum(values) if stacked else max(values)
    peak = max([total(i) for i in range(len(labels))] + [reference[0] if reference else 0])
    top = top or peak or 1
    left, bottom, head = 34, 20, 26
    plot_w, plot_h = width - left - 8, height - bottom - head
    slot = plot_w / len(labels)
    bar = (slot - 4) / (1 if stacked else len(series))

    def y_of(value):
        return head + plot_h - plot_h * min(value, top) / top

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    x = left
    for name, colour, _ in series:  # legend
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE.get(colour, colour)}"/>')
        parts.append(_text(x + 14, 13, name))
        x += 14 + 12 * len(name) + 18
    for step in (0, 0.5, 1):  # the scale (no half of a count)
        value = top * step
        if not unit and value != int(value):
            continue
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y_of(value):.1f}" y2="{y_of(value):.1f}" '
                     f'stroke="#e3e8ee"/>')
        parts.append(_text(left - 4, y_of(value) + 4, f"{value:g}{unit}", "end", "small"))
    for i, label in enumerate(labels):
        x0, base = left + i * slot + 2, 0.0
        for k, (name, colour, values) in enumerate(series):
            value = values[i]
            if not value:  # none, or nothing to draw
                continue
            low = y_of(base) if stacked else y_of(0)
            high = y_of(base + value) if stacked else y_of(value)
            x = x0 if stacked else x0 + k * bar
            parts.append(f'<g><title>{escape(label)} · {escape(name)}: {value:g}{unit}</title>'
                         f'<rect x="{x:.1f}" y="{high:.1f}" width="{max(bar - 1, 1):.1f}" '
                         f'height="{max(low - high, 1):.1f}" fill="{PALETTE.get(colour, colour)}"/></g>')
            if stacked:
                base += value
        if i % 2 == 0:
            parts.append(_text(x0 + (slot - 4) / 2, height - 6, label, "middle", "small"))
    if reference:
        y = y_of(reference[0])
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="{PALETTE["late"]}" '
                     f'stroke-dasharray="5 4" stroke-width="1.5"/>')
        parts.append(_text(width - 10, y - 4, reference[1], "end", "small"))
    parts.append("</svg>")
    return Markup("".join(parts))

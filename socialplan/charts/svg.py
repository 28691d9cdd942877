"""Charts as SVG, drawn on the server.

One small module so the same chart appears on a page, and later in the PDF
and DOCX reports. Every chart carries a <title> and <desc> for screen
readers, and the pages always put the table with the same figures beside it.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="DejaVu Sans, system-ui, sans-serif"'
BAR = "#0b5cad"
EMPTY = "#f1f3f5"


def _text(x, y, content, size=12, anchor="start", weight="normal", fill="#1d2733") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}" {FONT}>{escape(str(content))}</text>'
    )


def _rect(x, y, width, height, fill) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" '
        f'fill="{fill}" rx="2"/>'
    )


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(rows: list[tuple[str, float]], *, title: str, value_format=str) -> SafeString:
    """Horizontal bars, one per (label, value); values must not be negative."""
    label_width, bar_width, row_height, top = 230, 300, 24, 28
    height = top + row_height * len(rows) + 8
    width = label_width + bar_width + 90
    largest = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart">',
        f"<title>{escape(title)}</title>",
        "<desc>"
        + escape("; ".join(f"{label}: {value_format(v)}" for label, v in rows))
        + "</desc>",
        _text(0, 16, title, size=13, weight="bold"),
    ]
    for i, (label, value) in enumerate(rows):
        y = top + i * row_height
        length = bar_width * (value / largest)
        parts.append(_text(label_width - 8, y + 15, _shorten(label, 34), anchor="end"))
        parts.append(_rect(label_width, y + 3, length, row_height - 8, BAR))
        parts.append(_text(label_width + length + 6, y + 15, value_format(value)))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def grid_chart(
    row_labels: list[str], column_labels: list[str], matrix: list[list[int]], *, title: str
) -> SafeString:
    """A presence grid: a filled cell holds how many there are, an empty one is a gap."""
    label_width, cell, top = 130, 34, 120
    width = label_width + cell * len(column_labels) + 10
    height = top + cell * len(row_labels) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart">',
        f"<title>{escape(title)}</title>",
        "<desc>"
        + escape(
            "; ".join(
                f"{row}: "
                + ", ".join(
                    f"{col} {value}" for col, value in zip(column_labels, values, strict=True)
                )
                for row, values in zip(row_labels, matrix, strict=True)
            )
        )
        + "</desc>",
        _text(0, 16, title, size=13, weight="bold"),
    ]
    for j, column in enumerate(column_labels):
        x = label_width + j * cell + cell / 2
        heading = _text(0, 0, _shorten(column, 18), size=11)
        parts.append(f'<g transform="translate({x:.1f},{top - 6}) rotate(-55)">{heading}</g>')
    for i, (row, values) in enumerate(zip(row_labels, matrix, strict=True)):
        y = top + i * cell
        parts.append(
            _text(label_width - 6, y + cell / 2 + 4, _shorten(row, 18), anchor="end", size=11)
        )
        for j, value in enumerate(values):
            x = label_width + j * cell
            fill = BAR if value else EMPTY
            parts.append(_rect(x + 1, y + 1, cell - 2, cell - 2, fill))
            mark = str(value) if value else "✘"
            color = "#ffffff" if value else "#a61b1b"
            parts.append(
                _text(x + cell / 2, y + cell / 2 + 4, mark, size=11, anchor="middle", fill=color)
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))

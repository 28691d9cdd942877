"""Number formatting for money and shares, the same in both languages.

Groups of three digits are separated by a narrow no-break space (as ISO
80000 writes numbers), so "29 295 000" reads the same to an Albanian and
an English reader, beside the document's own "29,295,000".
"""

from django import template

from socialplan import disclosure

register = template.Library()
NNBSP = "\u202f"


@register.filter
def lek(value):
    if value is None or value == "":
        return "—"
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    sign = "−" if number < 0 else ""
    return sign + f"{abs(number):,}".replace(",", NNBSP)


@register.filter
def signed_lek(value):
    if value in (None, ""):
        return "—"
    number = int(value)
    return ("+" if number > 0 else "") + lek(number)


@register.filter
def percent(value, digits=1):
    if value in (None, ""):
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}\u00a0%"


@register.filter
def people(value, public=False):
    """A count of people; in public, a group under 5 is shown as "<5" (never the number)."""
    if value in (None, ""):
        return "—"
    number = int(value)
    if public and disclosure.small(number):
        return "<5"
    return lek(number)

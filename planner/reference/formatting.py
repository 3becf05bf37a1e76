"""Numbers as clinicians write them: 7.5, 100, 1.25 (no trailing zeros, no exponent)."""

from decimal import Decimal


def amount(value):
    return format(Decimal(str(value)).normalize(), "f")


def span(low, high):
    """'50–350', '7.5' (low == high), 'up to 50', 'from 10', or '' when neither is known."""
    if low is not None and high is not None:
        return amount(low) if low == high else f"{amount(low)}–{amount(high)}"
    if high is not None:
        return f"up to {amount(high)}"
    if low is not None:
        return f"from {amount(low)}"
    return ""

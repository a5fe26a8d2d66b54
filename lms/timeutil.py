"""Time helpers: the database stores naive UTC datetimes."""
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (what the database stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()

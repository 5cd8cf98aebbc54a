"""Hash-bank files: parsers for every supported format (pure, no database),
the update plan for re-imports, and category-to-priority mapping.
"""

from handlers.banks.categories import (
    DEFAULT_PRIORITIES,
    DEFAULT_PRIORITY,
    alert_priority,
    category_priority,
    parse_priorities,
)
from handlers.banks.model import (
    BankFormatError,
    LineError,
    ParseResult,
    Withdrawal,
    normalize_hash,
)
from handlers.banks.parse import (
    FORMATS,
    UnknownFormatError,
    detect_format,
    parse_bank,
    parse_bank_async,
)
from handlers.banks.update import UpdatePlan, plan_update

__all__ = [
    "DEFAULT_PRIORITIES",
    "DEFAULT_PRIORITY",
    "FORMATS",
    "BankFormatError",
    "LineError",
    "ParseResult",
    "UnknownFormatError",
    "UpdatePlan",
    "Withdrawal",
    "alert_priority",
    "category_priority",
    "detect_format",
    "normalize_hash",
    "parse_bank",
    "parse_bank_async",
    "parse_priorities",
    "plan_update",
]

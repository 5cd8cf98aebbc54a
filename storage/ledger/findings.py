"""What a verification found: problems (capped, the rest counted) and notes.

Shared by the bundle verifier (:mod:`storage.ledger.verify`) and the in-place
check (:mod:`storage.ledger.verify_db`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Problems listed one by one; past this many only their number is kept.
MAX_PROBLEMS = 50


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    more: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more

    def fail(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        else:
            self.more += 1

"""Errors a user can act on. Each names the thing, the place and, where we can, the fix.

Library code raises these; only ``coach.cli`` turns them into messages and exit codes.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base class for every error coach raises on purpose."""


class TranscriptError(CoachError):
    """A transcript file cannot be read.

    ``location`` is a line number (``"17"``), a JSON path (``"$.results.items[3]"``), a CSV row
    (``"row 7"``) or a cue (``"cue 3"``); the message reads ``path:location: what was expected``.
    """

    def __init__(self, path: str, location: str | int | None, message: str):
        self.path = str(path)
        self.location = "" if location is None else str(location)
        self.message = message
        where = f"{self.path}:{self.location}" if self.location else self.path
        super().__init__(f"{where}: {message}")


class PatternError(CoachError):
    """A pattern file is invalid: names the file, the line and the rule id, with every problem found."""

    def __init__(self, path: str, line: int | None, rule_id: str | None, problems: list[str] | str):
        self.path = str(path)
        self.line = line
        self.rule_id = rule_id
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        where = f"{self.path}:{line}" if line else self.path
        rule = f" rule {rule_id!r}" if rule_id else ""
        super().__init__(f"{where}:{rule} " + "; ".join(self.problems))


class RubricError(CoachError):
    """A rubric file is invalid: names the file and the key, with every problem found."""

    def __init__(self, path: str, problems: list[str] | str):
        self.path = str(path)
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(f"{self.path}: " + "; ".join(self.problems))


class ModelError(CoachError):
    """A trained model file is missing, untrusted or does not match what coach expects."""


class LabelError(CoachError):
    """A gold label file is malformed: names the file and line."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")

"""Detectors: one behaviour family per module, each registered by name (see ``registry``).

Importing this package registers them all: gratitude, reason, pressure, goodbye.
"""

from coach.detectors import goodbye, gratitude, pressure, reason  # noqa: F401  (registration)
from coach.detectors.registry import DETECTORS, DetectorContext, known_findings, register

__all__ = ["DETECTORS", "DetectorContext", "known_findings", "register", "run_detectors"]


def run_detectors(ac, ctx: DetectorContext | None = None) -> list:
    """Run every registered detector on an analyzed call and return all findings, in registry order."""
    ctx = ctx or DetectorContext()
    findings = []
    for spec in DETECTORS.values():
        findings.extend(spec.func(ac, ctx))
    return findings

"""The scan seen through every framework file over the same requirements, side by side.

A finding's requirement id places it in each view (`scanner.framework.views_of`): the
scan's own framework (its steps, say) and another file grouping the same requirements
by policy area and control. Every view is scored from the one scoreboard's counts per
requirement, so no view needs a pass over the findings, and a finding has the same
fingerprint in all of them.
"""

from __future__ import annotations

from typing import Any

from scanner.finding_store import ScanResult
from scanner.findings import Status
from scanner.framework import views_of

_ORDER = (
    Status.FAIL,
    Status.UNKNOWN,
    Status.PASS,
    Status.MANUAL,
    Status.WAIVED,
    Status.NOT_APPLICABLE,
)
"""Statuses in the order a bar stacks them (as the report's other charts)."""


def _percent(counts: dict[str, int]) -> str:
    judged = counts["pass"] + counts["fail"] + counts["unknown"]
    return "—" if judged == 0 else f"{counts['pass'] * 100 // judged}%"


def _segments(counts: dict[str, int], width: float) -> list[dict[str, Any]]:
    total = sum(counts.values())
    out, start = [], 0.0
    for status in _ORDER:
        count = counts.get(status.value, 0)
        if count and total:
            length = width * count / total
            out.append(
                {
                    "status": status.value,
                    "count": count,
                    "start": round(start, 3),
                    "length": round(length, 3),
                }
            )
            start += length
    return out


def framework_views(result: ScanResult, width: float = 1000.0) -> list[dict[str, Any]]:
    """Each view's sections with findings (any depth, in its order) and their scores.

    The scan's own framework comes first (`current`), then the other views of its
    requirements by name.
    """
    board = result.scoreboard
    views = []
    for framework in views_of(result.framework):
        rows = []
        for section_id, score in board.sections(framework).items():
            counts = dict(score.counts)
            depth = len(framework.section_path(section_id)) - 1
            rows.append(
                {
                    "id": section_id,
                    "title": framework.section_title(section_id),
                    "depth": depth,
                    "counts": counts,
                    "total": sum(counts.values()),
                    "score": _percent(counts),
                    "segments": _segments(counts, width),
                }
            )
        views.append(
            {
                "id": framework.id,
                "title": framework.title,
                "section_label": framework.section_label,
                "current": framework.id == result.framework.id,
                "rows": rows,
            }
        )
    return views

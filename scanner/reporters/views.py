"""The scan seen through every framework file over the same requirements, side by side.

A finding's requirement id places it in each view (`scanner.framework_files.views_of`): the
scan's own framework (its steps, say) and another file grouping the same requirements
by policy area and control. Every view is scored from the one scoreboard's counts per
requirement, so no view needs a pass over the findings, and a finding has the same
fingerprint in all of them.
"""

from __future__ import annotations

from typing import Any

from scanner.finding_store import ScanResult
from scanner.framework_files import views_of


def framework_views(result: ScanResult) -> list[dict[str, Any]]:
    """Each view's sections with findings (any depth, in its order) and their counts.

    The scan's own framework comes first (`current`), then the other views of its
    requirements by name. Each row: section id, title, depth and counts by status.
    """
    board = result.scoreboard
    views = []
    for framework in views_of(result.framework):
        rows = [
            {
                "id": section_id,
                "title": framework.section_title(section_id),
                "depth": len(framework.section_path(section_id)) - 1,
                "counts": dict(score.counts),
            }
            for section_id, score in board.sections(framework).items()
        ]
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

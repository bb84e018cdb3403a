"""The HTML report's history section: the trend chart (inline SVG) and the diff summary.

Coordinates are computed here, so the template only places them and the chart shows
with scripts off, like the report's other charts.
"""

from __future__ import annotations

from typing import Any

from scanner.history.diff import Change
from scanner.history.render import LABELS
from scanner.history.store import RunInfo
from scanner.report import ScanResult

WIDTH, LEFT, RIGHT = 760.0, 64.0, 150.0
SCORE_TOP, SCORE_BOTTOM = 12.0, 162.0
BAR_TOP, BAR_BOTTOM = 190.0, 250.0
HEIGHT = 272.0
STEP_COLORS = ("#1f6feb", "#cf222e", "#8250df", "#1a7f37", "#bf8700", "#0a7ea4", "#d1242f",
               "#57606a", "#e16f24", "#2da44e")
MAX_ROWS = 25
"""New and resolved findings listed in the section (all are in the JSON and tickets)."""


def _score(counts: dict[str, int]) -> float | None:
    judged = sum(counts.get(k, 0) for k in ("pass", "fail", "unknown"))
    return None if not judged else counts.get("pass", 0) / judged


def _y(score: float) -> float:
    return round(SCORE_BOTTOM - (SCORE_BOTTOM - SCORE_TOP) * score, 2)


def trend(runs: list[RunInfo], step_titles: dict[str, str]) -> dict[str, Any]:
    """Per-step score lines and new/resolved bars over `runs` (oldest first)."""
    span = WIDTH - LEFT - RIGHT
    step_ids = list(dict.fromkeys(s for s in step_titles if any(s in r.steps for r in runs)))
    step_ids += sorted({s for r in runs for s in r.steps} - set(step_ids))
    xs = [round(LEFT + (span * i / (len(runs) - 1) if len(runs) > 1 else span / 2), 2)
          for i in range(len(runs))]
    lines: list[dict[str, Any]] = []
    for index, step in enumerate(step_ids):
        points = [(x, _score(r.steps.get(step, {}))) for x, r in zip(xs, runs, strict=True)]
        drawn = [(x, _y(v)) for x, v in points if v is not None]
        last = next((v for _, v in reversed(points) if v is not None), None)
        if not drawn:
            continue  # a step with nothing judged (manual, n/a only) has no score to draw
        lines.append({"step": step, "title": step_titles.get(step, step),
                      "color": STEP_COLORS[index % len(STEP_COLORS)],
                      "points": " ".join(f"{x},{y}" for x, y in drawn), "dots": drawn,
                      "last": "—" if last is None else f"{int(last * 100)}%",
                      "label_y": drawn[-1][1]})
    # Labels at the right edge, nudged apart so they do not overlap.
    previous = -100.0
    for line in sorted(lines, key=lambda item: item["label_y"]):
        line["label_y"] = max(line["label_y"], previous + 11)
        previous = line["label_y"]
    most = max([max(r.new, r.resolved) for r in runs] + [1])
    bar_w = max(min(span / max(len(runs), 1) / 3, 14.0), 2.0)
    bars = []
    for x, r in zip(xs, runs, strict=True):
        new_h = round((BAR_BOTTOM - BAR_TOP) * r.new / most, 2)
        res_h = round((BAR_BOTTOM - BAR_TOP) * r.resolved / most, 2)
        bars.append({"run": r.id, "date": r.started_at.strftime("%Y-%m-%d %H:%M"),
                     "new": r.new, "resolved": r.resolved,
                     "new_x": round(x - bar_w, 2), "res_x": x, "w": round(bar_w, 2),
                     "new_y": round(BAR_BOTTOM - new_h, 2), "new_h": new_h,
                     "res_y": round(BAR_BOTTOM - res_h, 2), "res_h": res_h,
                     "x": x, "score": _score(r.counts)})
    grid = [{"y": _y(v / 100), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "lines": lines, "bars": bars, "grid": grid, "bar_top": BAR_TOP,
            "bar_bottom": BAR_BOTTOM, "most": most, "label_x": WIDTH - RIGHT + 10}


def _row(change: Change) -> dict[str, Any]:
    entry = change.entry
    return {"severity": entry.severity, "check": entry.check_id,
            "resource": entry.resource_id, "before": change.before.status
            if change.before else "absent", "after": change.after.status
            if change.after else "gone", "first_seen": change.first_seen.date().isoformat()
            if change.first_seen else "—", "age": change.age_days,
            "resolution": change.resolution}


def history_context(result: ScanResult) -> dict[str, Any] | None:
    """What `history.html.j2` shows; None when the scan has no history or baseline."""
    view = result.history
    if view is None:
        return None
    titles = {step.id: step.title for step in result.framework.steps}
    context: dict[str, Any] = {"run_id": view.run_id, "error": view.error,
                               "trend": trend(view.trend, titles) if view.trend else None,
                               "runs": len(view.trend), "diff": None}
    if view.diff is not None:
        d = view.diff
        context["diff"] = {
            "from": d.from_label, "to": d.to_label,
            "counts": [(LABELS[k], len(v)) for k, v in d.changes.items()]
            + [("Unchanged", d.unchanged)],
            "lists": [(LABELS[k], len(d.of(k)), [_row(c) for c in d.of(k)[:MAX_ROWS]])
                      for k in ("new", "regressed", "resolved") if d.of(k)],
            "max_rows": MAX_ROWS}
    return context

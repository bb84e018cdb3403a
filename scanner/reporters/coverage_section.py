"""The coverage section every human-readable report shows: the resource types present,
and those whose customer-managed keys nothing judged (not assessed) or cannot be read
through ARM (attest). Never silent: a type present with no judgement is listed."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from scanner.coverage import JUDGED, NOT_ASSESSABLE_STATE, NOT_ASSESSED, CoverageRow

LABELS = {JUDGED: "judged", NOT_ASSESSED: "not assessed",
          NOT_ASSESSABLE_STATE: "not assessable through ARM: attest",
          "no_data_at_rest": "no data at rest"}


def headline(rows: list[CoverageRow]) -> str:
    """`12 resource types (190 resources): 8 judged for CMK at rest, 2 not assessed, ...`."""
    resources = sum(r.count for r in rows)
    states = {s: sum(1 for r in rows if r.at_rest == s)
              for s in (JUDGED, NOT_ASSESSED, NOT_ASSESSABLE_STATE)}
    return (f"{len(rows)} resource types ({resources} resources): {states[JUDGED]} judged for "
            f"customer-managed keys at rest, {states[NOT_ASSESSED]} not assessed, "
            f"{states[NOT_ASSESSABLE_STATE]} not assessable through ARM (attest)")


def gaps(rows: list[CoverageRow]) -> list[CoverageRow]:
    """Types that can hold CJI at rest whose keys the scan did not judge."""
    return [r for r in rows if r.at_rest in (NOT_ASSESSED, NOT_ASSESSABLE_STATE)]


def console_renderables(rows: list[CoverageRow]) -> list[Table | Text]:
    out: list[Table | Text] = [Text(), Text.assemble(("Coverage", "bold"), ": ", headline(rows))]
    missing = gaps(rows)
    if missing:
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        table.add_column("Resource type", overflow="fold")
        table.add_column("Count", justify="right", no_wrap=True)
        table.add_column("Customer-managed keys", overflow="fold")
        for row in missing:
            table.add_row(Text(row.resource_type), Text(str(row.count)),
                          Text(row.note or LABELS[row.at_rest]))
        out.append(table)
    return out


def markdown(rows: list[CoverageRow]) -> str:
    """The audit packet's coverage table (every type present)."""
    lines = [headline(rows), "", "| Resource type | Count | Sections judged | CMK at rest |",
             "|---|---:|---|---|"]
    for row in rows:
        state = row.note or LABELS[row.at_rest]
        lines.append(f"| `{row.resource_type}` | {row.count} | "
                     f"{', '.join(row.sections) or '—'} | {state} |")
    return "\n".join(lines) + "\n"

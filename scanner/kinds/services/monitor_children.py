"""Children of Log Analytics workspaces: their tables (issue 10 item 12).

Listed per workspace (`workspaces/{name}/tables`, Tables - List, stable 2022-10-01): each
table has its own interactive and total retention, so "the workspace keeps a year" is
judged per table that receives CJIS logs (checks/retention.py). Every workspace's tables
are read, not only the CJIS ones: which workspaces receive CJIS logs is known only once
every diagnostic setting (of every subscription, and Entra ID's) has been read, and
collectors never judge. A typed kind (`WorkspaceTable`), not a judged one: its checks
judge the workspace.
"""

from __future__ import annotations

from scanner.inventory_monitor import WorkspaceTable
from scanner.kinds.base import Kind

TABLES_API = "2022-10-01"

KINDS = (
    Kind("workspace_tables", "Microsoft.OperationalInsights/workspaces/tables", TABLES_API,
         "Log Analytics table", WorkspaceTable, mapper="workspace_table",
         parent="workspaces", list_path="/tables", graph=False, judged=False,
         holds_data=False,
         permission="Microsoft.OperationalInsights/workspaces/tables/read",
         example="azure-examples/loganalytics/tables_list.json"),
)

"""What a demo scan does not load: the history store's SQLAlchemy without --history, and
vcrpy for a replay (the cassette format is read by scanner.replay itself). Each costs more
than judging the demo tenant, and the demo scan is held under a second (`make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
sys.argv = ["cjis-scan", "scan", "--demo", "-q"]
import scanner.cli
try:
    scanner.cli.main()
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules})
sys.__stderr__.write("LOADED=" + json.dumps(loaded) + "\\n")
"""


def test_a_demo_scan_loads_neither_sqlalchemy_nor_vcrpy() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=False)
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED="))
    loaded = set(json.loads(line.removeprefix("LOADED=")))
    assert "scanner" in loaded and "rich" in loaded  # the probe saw a real scan
    assert "sqlalchemy" not in loaded
    assert "vcr" not in loaded

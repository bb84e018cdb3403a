"""Progress of a run, in phases that each have their own total, so nothing jumps back.

Collecting has stages of its own: the subscriptions are listed; then every subscription's
lists, whose total is known; then the follow-ups those lists find (detail reads, child
lists, further pages), which have no total in advance, so they show counts that only
grow: done, waiting. Judging counts checks out of the
selected checks; writing counts reports out of the formats asked for. On a terminal this
is a rich display on stderr; elsewhere (a cron job, CI) a heartbeat line every few
seconds says which phase the run is in, so a long scan never looks hung. `--quiet` shows
neither.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console

if TYPE_CHECKING:
    from scanner.collectors.tasks import CollectProgress


@dataclass
class _State:
    phase: str = "starting"
    done: int = 0
    total: int | None = None
    waiting: int = 0
    detail: str = ""
    started: float = field(default_factory=time.monotonic)
    subscriptions: int | None = None
    lists_done: int = 0
    lists_total: int = 0
    followups_done: int = 0


class Progress:
    """Phases of one run, shown on `console` (stderr)."""

    def __init__(self, console: Console, quiet: bool = False, heartbeat: float = 10.0,
                 log_format: str = "text", stream: TextIO | None = None) -> None:
        self.console = console
        self.log_format = log_format
        self._stream = stream
        self._state = _State()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._live: Any = None
        self._task: Any = None
        self._thread: threading.Thread | None = None
        self.interactive = not quiet and console.is_terminal
        self.heartbeat = 0.0 if quiet or self.interactive else heartbeat

    # --- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> Progress:
        if self.interactive:
            from rich.progress import BarColumn, TextColumn
            from rich.progress import Progress as RichProgress

            self._live = RichProgress(TextColumn("[bold]{task.fields[phase]}[/]"), BarColumn(),
                                      TextColumn("{task.fields[counts]}"),
                                      TextColumn("{task.description}"),
                                      console=self.console, transient=True)
            self._live.start()
            self._task = self._live.add_task("", total=None, phase="starting", counts="")
        elif self.heartbeat > 0:
            self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self._live is not None:
            self._live.stop()

    # --- phases ------------------------------------------------------------------------
    def phase(self, name: str, total: int | None = None) -> None:
        """Enter phase `name` (its counts start at 0, out of `total` when known)."""
        with self._lock:
            self._state = _State(phase=name, total=total, started=self._state.started)
        self._refresh()

    def advance(self, detail: str = "", by: int = 1) -> None:
        """One more unit of the current phase done."""
        with self._lock:
            self._state.done += by
            self._state.detail = detail
        self._refresh()

    def collected(self, update: CollectProgress) -> None:
        """The collectors' callback: where each stage of collecting stands."""
        with self._lock:
            if self._state.phase != "collecting":
                self._state = _State(phase="collecting", started=self._state.started)
            state = self._state
            # Updates from worker threads can arrive out of order: counts never go back.
            state.subscriptions = update.subscriptions
            state.lists_total = max(state.lists_total, update.lists_total)
            state.lists_done = max(state.lists_done, update.lists_done)
            state.followups_done = max(state.followups_done, update.followups_done)
            state.done = state.lists_done + state.followups_done
            state.waiting = update.followups_waiting
            state.detail = update.what
        self._refresh()

    # --- output ------------------------------------------------------------------------
    def counts(self) -> str:
        """`12/40` for a phase with a total; while collecting, each stage's counts."""
        state = self._state
        if state.total is not None:
            return f"{state.done}/{state.total}"
        if state.phase == "collecting":
            if state.subscriptions is None:
                return "listing subscriptions"
            return (f"{state.subscriptions} subscription(s); lists {state.lists_done}/"
                    f"{state.lists_total}; follow-ups {state.followups_done} done, "
                    f"{state.waiting} waiting")
        return str(state.done)

    def line(self) -> str:
        """The heartbeat line: phase, counts, seconds since the run started."""
        with self._lock:
            state = self._state
            elapsed = int(time.monotonic() - state.started)
            return f"cjis-scan: {state.phase}: {self.counts()} ({elapsed} s)"

    def _refresh(self) -> None:
        if self._live is None:
            return
        with self._lock:
            state = self._state
            collecting = state.phase == "collecting" and state.lists_total
            self._live.update(self._task,
                              completed=state.lists_done if collecting else state.done,
                              total=state.lists_total if collecting else state.total,
                              phase=state.phase, counts=self.counts(),
                              description=state.detail[-50:])

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            self.emit_line()

    def emit_line(self) -> None:
        """Write one heartbeat line now (text, or a JSON object with --log-format json)."""
        text = self.line()
        if self.log_format == "json":
            with self._lock:
                state = self._state
                record = {"level": "info", "logger": "cjis_scan.progress", "message": text,
                          "phase": state.phase, "done": state.done, "total": state.total,
                          "waiting": state.waiting}
                if state.phase == "collecting":
                    record.update(subscriptions=state.subscriptions,
                                  lists_done=state.lists_done, lists_total=state.lists_total,
                                  followups_done=state.followups_done)
            self._write(json.dumps(record))
        else:
            self._write(text)

    def _write(self, text: str) -> None:
        if self._stream is not None:
            self._stream.write(text + "\n")
            self._stream.flush()
        else:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

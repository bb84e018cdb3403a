"""A tiny Chrome DevTools Protocol client over `--remote-debugging-pipe` (stdlib only).

Chromium started with `--remote-debugging-pipe` reads CDP commands from fd 3 and writes
responses and events to fd 4, each message a JSON object ended by a NUL byte. No
websocket, no port, no extra package: the browser tests need only Debian's `chromium`.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
"""Names looked for on PATH (after $CJIS_SCAN_CHROMIUM)."""


def find_chromium() -> str | None:
    """The Chromium binary to drive, or None: $CJIS_SCAN_CHROMIUM, then PATH."""
    explicit = os.environ.get("CJIS_SCAN_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


class CdpError(RuntimeError):
    """A CDP command failed, the browser died, or a wait ran out of time."""


class Browser:
    """One headless Chromium and one page in it, driven over the debugging pipe."""

    def __init__(self, binary: str, profile_dir: Path, width: int = 1280, height: int = 800,
                 timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        cmd_read, cmd_write = os.pipe()
        out_read, out_write = os.pipe()
        # The child needs the pipe ends at exactly fds 3 and 4. Move them above 9 first,
        # so the dup2 calls below cannot overwrite one with the other.
        child_in = fcntl.fcntl(cmd_read, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(out_write, fcntl.F_DUPFD, 10)
        os.close(cmd_read)
        os.close(out_write)

        def wire_pipe() -> None:  # runs in the child, between fork and exec
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        args = [
            binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update",
            "--disable-default-apps", "--mute-audio", "--allow-file-access-from-files",
            f"--user-data-dir={profile_dir}", f"--window-size={width},{height}",
            "about:blank",
        ]
        self._log = open(profile_dir / "chromium.log", "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            pass_fds=(3, 4), preexec_fn=wire_pipe,  # noqa: PLW1509 - tests start no threads here
        )
        os.close(child_in)
        os.close(child_out)
        self._write_fd = cmd_write
        self._read_fd = out_read
        self.session = self._attach(width, height)

    # --- protocol -----------------------------------------------------------------------

    def _send(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write_fd, json.dumps(message).encode("utf-8") + b"\0")
        return self._next_id

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise CdpError(f"Chromium exited (code {self.process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = "", timeout: float | None = None) -> dict[str, Any]:
        """Send a command (to the page's session by default) and return its result."""
        target_session = self.session if session == "" else session
        wanted = self._send(method, params, target_session)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def wait_for_event(self, method: str, timeout: float | None = None) -> dict[str, Any]:
        """The first `method` event not yet consumed (waiting for it if need be)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)

    def _attach(self, width: int, height: int) -> str:
        targets = self.call("Target.getTargets", session=None)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session: str = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True},
                                 session=None)["sessionId"]
        self.session = session
        for domain in ("Page.enable", "Runtime.enable", "Network.enable"):
            self.call(domain)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return session

    # --- page helpers -------------------------------------------------------------------

    def open(self, url: str, timeout: float | None = None) -> None:
        """Navigate and wait for the load event."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CdpError(f"cannot open {url}: {result['errorText']}")
        self.wait_for_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str, timeout: float | None = None) -> Any:
        """Evaluate JavaScript in the page; a returned promise is awaited. JSON-able result."""
        result = self.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": True,
        }, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 10.0) -> None:
        """Poll `expression` until it is truthy."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise CdpError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def screenshot(self, path: Path) -> Path:
        """Save the viewport as a PNG."""
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def events_named(self, method: str) -> list[dict[str, Any]]:
        """Events of one kind received so far (kept in the log)."""
        return [e for e in self.events if e.get("method") == method]

    def close(self) -> None:
        """Close the browser, or kill it if it does not go."""
        with contextlib.suppress(CdpError, OSError):
            self.call("Browser.close", session=None, timeout=5)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        for fd in (self._write_fd, self._read_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()

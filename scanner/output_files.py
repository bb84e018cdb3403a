"""Files the scanner writes (reports, inventories, cassettes): private, and all or nothing.

Each is written to a temporary file beside its final name (created mode 0o600 by
`tempfile.mkstemp`, so it never exists readable by others), flushed to disk, then
renamed over the final name. A reader never sees a half-written report, and an
interrupt or crash while writing leaves the previous complete file where it was (and
no temporary file behind). A file that already exists is replaced, so `collect -o` over
an old world-readable inventory leaves a 0o600 one.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
import threading
from pathlib import Path
from types import TracebackType

FILE_MODE = 0o600

_completed: list[Path] = []
_completed_lock = threading.Lock()


def completed_files() -> list[Path]:
    """Every file this process has finished writing (for the interrupt message)."""
    with _completed_lock:
        return list(_completed)


class AtomicPrivateFile(io.TextIOWrapper):
    """A UTF-8 text file that appears at `path` only when its `with` block completes.

    Leaving the block with an exception (KeyboardInterrupt included) discards what was
    written. A symlink planted at `path` is refused rather than replaced or followed.
    """

    def __init__(self, path: Path) -> None:
        if path.is_symlink():
            raise OSError(errno.ELOOP, "refusing to replace a symbolic link", str(path))
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            raw = os.fdopen(fd, "wb", buffering=1 << 20)
        except BaseException:
            os.close(fd)
            os.unlink(temp)
            raise
        # newline="\n": the same bytes on every platform (reports are compared and diffed).
        super().__init__(raw, encoding="utf-8", newline="\n")
        self.path = path
        self._temp = temp

    def __enter__(self) -> AtomicPrivateFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> None:
        """Flush to disk and rename over the final name."""
        try:
            self.flush()
            os.fsync(self.fileno())
            self.close()
            os.chmod(self._temp, FILE_MODE)  # mkstemp's mode, whatever the umask
            os.replace(self._temp, self.path)
        except BaseException:
            self.discard()
            raise
        with _completed_lock:
            _completed.append(self.path)

    def discard(self) -> None:
        """Drop what was written; the file at the final name (if any) is untouched."""
        with contextlib.suppress(OSError):
            self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with AtomicPrivateFile(path) as handle:
        handle.write(text)

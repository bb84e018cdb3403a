"""cProfile over every thread (the reads run in the pool's workers, not the main thread).

`threading.setprofile` installs a hook in each thread started afterwards; its first call
starts a cProfile.Profile for that thread. `dump` merges them all into one stats file
(read it with `python -m pstats FILE` or snakeviz).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
from pathlib import Path
from typing import Any


class AllThreads:
    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _start(self, *_: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile()
        with self._lock:
            self.profiles.append(profile)
        profile.enable()

    def enable(self) -> None:
        threading.setprofile(self._start)
        self._start()

    def disable(self) -> None:
        threading.setprofile(None)  # type: ignore[arg-type]
        for profile in self.profiles:
            profile.disable()  # only the calling thread's stops; the others are done

    def dump(self, path: Path) -> None:
        stats = pstats.Stats(self.profiles[0])
        for profile in self.profiles[1:]:
            stats.add(profile)
        stats.dump_stats(str(path))

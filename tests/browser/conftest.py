"""Browser fixtures: headless Chromium over the debugging pipe, skipped without Chromium.

The browser tests need Debian's `chromium` package (`.ci/run` installs it in CI), or any
Chromium/Chrome named by $CJIS_SCAN_CHROMIUM or found on PATH. Without one, every test
here is skipped with that reason; nothing else in the suite depends on a browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.browser.cdp import BINARIES, Browser, find_chromium


@pytest.fixture(scope="session")
def chromium_binary() -> str:
    binary = find_chromium()
    explicit = os.environ.get("CJIS_SCAN_CHROMIUM")
    if binary is None and explicit:
        pytest.skip(f"CJIS_SCAN_CHROMIUM={explicit} is not an executable Chromium")
    if binary is None:
        pytest.skip("no Chromium binary found ($CJIS_SCAN_CHROMIUM or on PATH: "
                    f"{', '.join(BINARIES)}); install Debian's chromium package "
                    "(apt-get install chromium) to run the browser tests")
    return binary


@pytest.fixture(scope="module")
def browser(chromium_binary: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium with a 1280x800 page, closed after the module."""
    page = Browser(chromium_binary, tmp_path_factory.mktemp("chromium-profile"),
                   width=1280, height=800)
    try:
        yield page
    finally:
        page.close()

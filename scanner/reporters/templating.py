"""Jinja2 for the HTML report and the audit packet: one environment, HTML autoescaped.

Templates and their static assets (CSS, JavaScript) live in `scanner/reporters/templates/`
and ship inside the wheel with the package. Every HTML template is autoescaped; only
Markdown templates (`*.md.j2`) are not, and they escape through their own filters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic_core import to_jsonable_python

from scanner.framework import Framework
from scanner.reporters.base import as_utc

TEMPLATE_PACKAGE = "scanner.reporters"
TEMPLATE_DIR = "templates"

CLOUD_NAMES = {"commercial": "Azure Commercial", "usgov": "Azure Government",
               "usgov-dod": "Azure Government DoD"}
"""How the reports name a cloud (`--cloud` values)."""


def profile_title(framework: Framework, profile_id: str) -> str:
    """What a profile of `framework` stands for (its id when the framework lacks it)."""
    profile = framework.profile(profile_id)
    return profile.title if profile else profile_id


def _autoescape(name: str | None) -> bool:
    # On for every HTML template and string template; Markdown is not HTML.
    return name is None or not name.endswith(".md.j2")


_OPTIONS: dict[str, Any] = {"undefined": jinja2.StrictUndefined, "trim_blocks": True,
                             "lstrip_blocks": True, "keep_trailing_newline": True}


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs: compiling the packet's template costs more
    than judging the demo tenant. A template's entry is keyed by its source (Jinja checks
    the checksum) and here also by the environment's options, which change the code."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        options = repr(sorted((k, getattr(v, "__name__", v)) for k, v in _OPTIONS.items()))
        return hashlib.sha1(f"{super().get_cache_key(name, filename)}|{options}".encode(),
                            usedforsecurity=False).hexdigest()


def template_cache() -> jinja2.BytecodeCache | None:
    """The compiled-template cache (`$XDG_CACHE_HOME/cjis-scan/templates`, default
    `~/.cache`), or none when it cannot be made private to this user: compiled code is
    run, so a directory anyone else can write to is never read."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "cjis-scan" / "templates"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = directory.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return _TemplateCache(str(directory))


@cache
def environment() -> jinja2.Environment:
    """The shared environment: package loader, autoescape, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        autoescape=_autoescape,
        bytecode_cache=template_cache(),
        **_OPTIONS,
    )
    env.filters["utc"] = utc_text
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


@cache
def asset(name: str) -> str:
    """The text of a static file beside the templates (`report.css`, `report.js`)."""
    loader = environment().loader
    assert loader is not None
    text, _, _ = loader.get_source(environment(), name)
    return text


def csp_source(text: str) -> str:
    """A Content-Security-Policy hash source (`'sha256-…'`) allowing exactly `text`."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def utc_text(moment: datetime) -> str:
    """`2025-03-04 05:06:07 UTC`: how the reports print a moment."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def script_json(value: Any) -> str:
    """JSON for a `<script type="application/json">` block, safe inside HTML.

    Every `<`, `>` and `&` is written as a `\\u00XX` escape, so no `</script>`, `<!--` or
    entity can appear in the block whatever the data holds; JSON.parse reads the escapes
    back as the original characters. U+2028/2029 are escaped too (older parsers).
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      default=to_jsonable_python)
    return escape_script_text(text)


def escape_script_text(text: str) -> str:
    """Escape JSON text for a script block (see `script_json`)."""
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))

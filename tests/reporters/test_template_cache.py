"""The compiled-template cache: used only when private to this user, and never changes
what a template renders."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from scanner.reporters import templating


def test_the_cache_is_made_private_and_renders_what_the_compiler_renders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = templating.template_cache()
    assert cache is not None
    directory = tmp_path / "cjis-scan" / "templates"
    assert directory.stat().st_mode & 0o777 == 0o700
    source = "{% for x in xs %}{{ x }},{% endfor %}"
    loader = jinja2.DictLoader({"t.md.j2": source})
    cold = jinja2.Environment(loader=loader, bytecode_cache=cache)
    assert cold.get_template("t.md.j2").render(xs=[1, 2]) == "1,2,"
    assert list(directory.iterdir()), "the compiled template was not kept"
    warm = jinja2.Environment(loader=loader, bytecode_cache=templating.template_cache())
    assert warm.get_template("t.md.j2").render(xs=[3]) == "3,"
    changed = jinja2.Environment(loader=jinja2.DictLoader({"t.md.j2": "[{{ xs }}]"}),
                                 bytecode_cache=templating.template_cache())
    assert changed.get_template("t.md.j2").render(xs=4) == "[4]"  # a stale entry is never used


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; the mode check is tested")
def test_no_cache_where_the_directory_cannot_be_made(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path.chmod(0o500)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "sub"))
    try:
        assert templating.template_cache() is None
    finally:
        tmp_path.chmod(0o700)


def test_no_cache_under_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert templating.template_cache() is None


def test_a_directory_others_can_write_to_is_never_read(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    directory = tmp_path / "cjis-scan" / "templates"
    directory.mkdir(parents=True)
    directory.chmod(0o777)
    assert templating.template_cache() is None
    directory.chmod(0o720)
    assert templating.template_cache() is None
    directory.chmod(0o700)
    assert templating.template_cache() is not None

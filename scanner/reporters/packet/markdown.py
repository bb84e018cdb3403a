"""The packet's Markdown: escaping values taken from the scan, and the streamed
conversion to HTML (markdown-it, raw HTML disabled)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from markdown_it import MarkdownIt

# Inline Markdown syntax a value could trigger. Block syntax (#, -, 1.) only acts at the
# start of a line, and every value is written after a table pipe, a list marker or a label.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def md_text(value: object) -> str:
    """`value` as literal Markdown text on one line (every inline marker backslashed)."""
    if value is None:
        return "—"
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def md_code(value: object, table: bool = True) -> str:
    """`value` as a code span; `|` is escaped for table cells (GFM reads `\\|` there)."""
    if value is None or value == "":
        return "—"
    text = " ".join(str(value).split())
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(text: str, info: str = "") -> str:
    """A fenced code block holding `text` verbatim (the fence outruns any backticks in it)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"




def markdown_to_html(markdown: str) -> str:
    """CommonMark + tables to HTML; raw HTML in the source is shown as text, not kept.

    Column alignment becomes a class (`align-right`) instead of markdown-it's inline
    `style` attribute, which the page's Content-Security-Policy would refuse.
    """
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    tokens = parser.parse(markdown)
    for token in tokens:
        style = token.attrGet("style") if token.type in ("th_open", "td_open") else None
        if isinstance(style, str):
            del token.attrs["style"]
            token.attrSet("class", "align-" + style.removeprefix("text-align:").strip())
    return str(parser.renderer.render(tokens, parser.options, {}))


LINES_PER_PART = 500
"""Lines of Markdown `markdown_html_parts` converts at a time, at least (up to a cut)."""
_TABLE_DELIMITER = re.compile(r"^\|(?: *:?-+:? *\|)+ *$")
# The end of the HTML of a part cut inside a table or a list, and the start of the HTML
# of the part after the cut: both dropped, the two parts join into one element.
_CUT_HTML = {"table": ("</tbody>\n</table>\n", "<tbody>\n"), "list": ("</ul>\n", "<ul>\n")}


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines (each with its newline) of a text given in pieces."""
    rest = ""
    for piece in pieces:
        *lines, rest = (rest + piece).split("\n")
        for line in lines:
            yield line + "\n"
    if rest:
        yield rest


def markdown_html_parts(lines: Iterable[str],
                        lines_per_part: int = LINES_PER_PART) -> Iterator[str]:
    """`markdown_to_html` of the text of `lines`, a part at a time: the same bytes, joined.

    markdown-it holds the tokens of everything it parses, and a packet lists every open
    finding, CMK store and key administrator: hundreds of MB of tokens for a large
    tenant in one go. So the text is cut, once a part has `lines_per_part` lines, where
    the block structure is plain: before a heading that follows a blank line; between
    two rows of a table (the part after the cut starts again with the table's header
    and delimiter rows); between two items of a bullet list written an item a line.
    Rows and such items render independently of their neighbours, so dropping the
    table's or list's closing tags before a cut and its repeated opening after it joins
    the parts into the HTML of the whole text. Fenced code is passed over.
    """
    part: list[str] = []
    header: list[str] = []  # the header and delimiter rows of the table being read
    opened: str | None = None  # the element the current part continues after a cut
    cut_list = False  # the list being read was cut: a loose item would change its HTML
    fence: str | None = None
    previous = ""
    for line in lines:
        bare = line.rstrip("\n")
        cut: str | None = None
        if fence is not None:
            if bare.strip().startswith(fence) and not bare.strip().strip("`"):
                fence = None
        elif bare.startswith("```"):
            fence, header = bare[: len(bare) - len(bare.lstrip("`"))], []
        elif header and bare.startswith("|"):
            if previous is not header[-1]:  # a row after a row, not the first one
                cut = "table"
        elif previous.startswith("|") and _TABLE_DELIMITER.match(bare):
            header = [previous, line]
        else:
            header = []
            blank_before = not previous.strip()
            if bare.startswith("- "):
                if previous.startswith("- "):
                    cut = "list"
                elif cut_list and blank_before:
                    raise ValueError("a list cut into parts has a blank line between items")
            elif bare and not bare[0].isspace():
                cut_list = False  # anything else at the margin ends a list
                if bare.startswith("#") and blank_before:
                    cut = "heading"
        if cut is not None and len(part) >= lines_per_part:
            closing = cut if cut in _CUT_HTML else None
            yield _html_part(part, opened, closing)
            part, opened = (list(header) if cut == "table" else []), closing
            cut_list = cut_list or cut == "list"
        part.append(line)
        previous = line
    yield _html_part(part, opened, None)


def _html_part(lines: list[str], opened: str | None, closing: str | None) -> str:
    """The HTML of one part, without what joins it to the parts before and after it."""
    html = markdown_to_html("".join(lines))
    if opened is not None:
        start = _CUT_HTML[opened][1]
        html = html[html.index(start) + len(start):]
    if closing is not None:
        end = _CUT_HTML[closing][0]
        if not html.endswith(end):
            raise ValueError(f"a part cut inside a {closing} does not end with it")
        html = html[: -len(end)]
    return html



"""Petition bodies: plain text in, safe HTML out. Everything is escaped first; only the markup
this module writes itself reaches the page."""

import re

from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe

BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")


def _inline(text: str) -> str:
    # urlize escapes its input when autoescape=True and only adds <a rel="nofollow"> itself.
    html = urlize(text, nofollow=True, autoescape=True)
    return BOLD.sub(r"<strong>\1</strong>", html)


def body_html(text: str) -> SafeString:
    """Blank lines separate paragraphs; lines starting with "- " form a list; **bold**."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    out = []
    for block in blocks:
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(line.lstrip().startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line.lstrip()[2:])}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of user text went through escape


__all__ = ["body_html", "escape"]

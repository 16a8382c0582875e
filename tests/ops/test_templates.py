"""Scans of every template's source: what a page may not carry, so it cannot come back."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Inline styles stay only where they must: emails (mail programs drop style sheets), the
# self-contained error pages (no static files while something is broken), and the party
# badge, whose colour comes from the database as a CSS custom property.
STYLE_ALLOWED = {"500.html", "503.html", "_partials/party_badge.html"}


def _page_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if "/email/" in f"/{name}" or name in STYLE_ALLOWED:
            continue
        yield name, path.read_text()


def test_no_page_template_has_a_style_attribute():
    """Colour and layout come from static/css (or an SVG fill attribute), never style=."""
    found = [
        f"{name}: {match.group(0)}"
        for name, text in _page_templates()
        for match in re.finditer(r"""\sstyle\s*=\s*["'][^"']*""", text)
    ]
    assert not found, "style= attributes in templates:\n" + "\n".join(found)


def test_the_scan_finds_a_style_attribute():
    assert re.search(r"""\sstyle\s*=\s*["']""", '<span class="swatch" style="background: red">')


# American spellings a reader should not meet (the copy is British English). Only the text
# a person reads is scanned: tags with their attributes, <style> and <script>, and template
# tags and variables are removed first, so CSS `color:` and `text-align: center` are fine.
US_SPELLINGS = re.compile(
    r"\b(organiz\w*|colou?rless|colors?|colored|canceled|canceling|centers?|centered|"
    r"favorites?|behaviors?|analyz\w*|recogniz\w*|prioritiz\w*|apologiz\w*|summariz\w*|"
    r"authoriz\w*|finaliz\w*|honors?|neighbors?\w*|labeled|labeling|traveled|traveling|"
    r"gray|defense|fulfill|enroll)\b",
    re.IGNORECASE,
)
NOT_TEXT = re.compile(
    r"<style\b.*?</style>|<script\b.*?</script>|\{#.*?#\}|\{%\s*comment\s*%\}.*?"
    r"\{%\s*endcomment\s*%\}|\{%.*?%\}|\{\{.*?\}\}|<[^>]*>",
    re.DOTALL,
)


def _reader_text(source: str) -> str:
    return NOT_TEXT.sub(" ", source)


def test_templates_read_in_british_english():
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        found += [
            f"{path.relative_to(TEMPLATES)}: {match.group(0)!r}"
            for match in US_SPELLINGS.finditer(_reader_text(path.read_text()))
        ]
    assert not found, "American spellings in templates' text:\n" + "\n".join(found)


def test_the_spelling_scan_reads_text_not_code():
    page = (
        '<p style="color: red; text-align: center">Organize a stall</p>'
        "{% if canceled %}<span>The event was canceled.</span>{% endif %}"
    )
    text = _reader_text(page)
    assert [m.group(0) for m in US_SPELLINGS.finditer(text)] == ["Organize", "canceled"]
    assert not US_SPELLINGS.search(_reader_text("<p>Organise, colour, centre, cancelled</p>"))

"""The one email builder (outbox/emails.py): subject policy, both bodies, the unsubscribe
footer and headers, clean headers; and that no app builds a message any other way."""

import ast
from pathlib import Path

import pytest

from accounts.adapters import AccountAdapter
from outbox.emails import email_message_build, email_subject
from tests.ops.test_module_imports import ALL_APPS

ROOT = Path(__file__).resolve().parents[2]
BUILDERS = {"EmailMessage", "EmailMultiAlternatives", "send_mail", "send_mass_mail"}


def build(template, **kwargs):
    defaults = {
        "to": "pat@example.org",
        "subject": "Hello",
        "template": template,
        "context": {"name": "Pat & Sam", "note": "<b>note</b>", "link": "https://x.test/a"},
    }
    return email_message_build(**{**defaults, **kwargs})


def test_the_subject_policy_prefixes_the_site_name_once_on_one_line(settings):
    settings.SITE_NAME = "Alliance"
    assert email_subject("Hello") == "[Alliance] Hello"
    assert email_subject("[Alliance] Hello") == "[Alliance] Hello"
    assert email_subject("A\r\nBcc: x@example.org") == "[Alliance] A Bcc: x@example.org"
    assert len(email_subject("x" * 500)) == len("[Alliance] ") + 150
    # allauth's emails follow the same policy.
    assert AccountAdapter().format_email_subject("Confirm") == "[Alliance] Confirm"


def test_a_message_has_text_and_escaped_html_from_one_template_pair(email_template, settings):
    settings.DEFAULT_FROM_EMAIL = "Alliance <no-reply@alliance.example>"
    message = build(email_template, subject="Hi\nthere", headers={"Message-ID": "<a@b>\r\nX: y"})
    assert message.to == ["pat@example.org"]
    assert message.from_email == "Alliance <no-reply@alliance.example>"
    assert message.subject == "[Alliance] Hi there"
    assert "Pat & Sam" in message.body and "<b>note</b>" in message.body  # text: not escaped
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    assert "Pat &amp; Sam" in html and "&lt;b&gt;note&lt;/b&gt;" in html
    assert message.extra_headers["Message-ID"] == "<a@b> X: y"
    assert "List-Unsubscribe" not in message.extra_headers
    assert "Unsubscribe" not in message.body


def test_an_unsubscribe_link_adds_the_footer_and_both_headers(email_template, settings):
    settings.SITE_URL = "https://alliance.example"
    message = build(email_template, unsubscribe_url="/stop/abc/")
    url = "https://alliance.example/stop/abc/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body and url in message.alternatives[0][0]
    html = message.alternatives[0][0]
    assert html.index(url) < html.index("</body>")  # the footer is inside the body


def test_a_relayed_message_can_be_plain_text_only(email_template):
    message = build(email_template, html=False, reply_to="eve@example.org\r\nBcc: x@y.z")
    assert message.alternatives == [] and message.content_subtype == "plain"
    assert message.reply_to == ["eve@example.org Bcc: x@y.z"]
    assert message.message()["Bcc"] is None


@pytest.mark.parametrize("to", ["", "not-an-address"])
def test_a_message_needs_one_recipient_address(email_template, to):
    with pytest.raises(ValueError):
        build(email_template, to=to)


def _message_classes_used(path: Path) -> set[str]:
    used = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            # allauth's adapter hands its own emails back to allauth (super().send_mail): they
            # take the subject policy through format_email_subject.
            is_super = isinstance(func, ast.Attribute) and ast.unparse(func.value) == "super()"
            if name in BUILDERS and not is_super:
                used.add(name)
    return used


def test_no_app_builds_an_email_message_but_the_builder():
    offenders = {}
    for app in ALL_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "outbox" / "emails.py":
                continue
            used = _message_classes_used(path)
            if used:
                offenders[str(path.relative_to(ROOT))] = sorted(used)
    assert offenders == {}, "build emails with outbox.emails.email_message_build"

"""Injection: HTML in group names and descriptions is escaped on every page and harmless in the
contact email; CR/LF cannot inject email headers; SQL-ish filter values never cause a 500."""

import pytest

from tests.factories import GroupFactory

SCRIPT = '<script>alert("xss")</script>'
ATTRIBUTE = '" onmouseover="alert(1)" x="'
TAG = "'><img src=x onerror=alert(2)>"


@pytest.fixture
def hostile_group(db):
    return GroupFactory(
        name=f"{SCRIPT} Riverside",
        description=f"Find us {ATTRIBUTE} and {TAG} {SCRIPT}",
        contact_email="organisers@example.org",
    )


def _assert_escaped(content: bytes) -> None:
    text = content.decode()
    assert SCRIPT not in text
    assert "<img src=x" not in text
    assert 'onmouseover="alert(1)"' not in text


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/groups/",
        "/groups/?q=Riverside",
        "/groups/{slug}/",
        "/groups/{slug}/contact/",
    ],
)
def test_hostile_names_and_descriptions_are_escaped(client, hostile_group, url):
    response = client.get(url.format(slug=hostile_group.slug))
    assert response.status_code == 200
    _assert_escaped(response.content)
    if url != "/groups/{slug}/contact/":
        assert b"&lt;script&gt;alert(" in response.content


def test_hostile_group_page_for_its_organiser(client, hostile_group, organiser):
    from groups.services import group_member_add

    group_member_add(group=hostile_group, user=organiser, role="organiser")
    client.force_login(organiser)
    for url in [f"/groups/{hostile_group.slug}/", f"/groups/{hostile_group.slug}/edit/"]:
        response = client.get(url)
        assert response.status_code == 200
        _assert_escaped(response.content)


def test_contact_email_is_plain_text_and_headers_cannot_be_injected(
    client, hostile_group, mailoutbox
):
    response = client.post(
        f"/groups/{hostile_group.slug}/contact/",
        {
            "name": f"Eve\r\nBcc: victim@example.net\r\n{SCRIPT}",
            "email": "eve@example.org",
            "message": f"{SCRIPT}\r\nBcc: other@example.net",
            "website": "",
        },
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    # Plain text only: there is no HTML part in which a script could run.
    assert email.content_subtype == "plain"
    assert getattr(email, "alternatives", []) == []
    assert email.recipients() == ["organisers@example.org"]
    message = email.message()
    assert message["Bcc"] is None
    assert "\n" not in email.subject and "\r" not in email.subject
    # Long headers are folded (continuation lines start with a space); no line is a new header.
    header_lines = message.as_string().split("\n\n", 1)[0].splitlines()
    header_names = {line.split(":", 1)[0].lower() for line in header_lines if line[:1].strip()}
    assert "bcc" not in header_names
    assert "other@example.net" not in "\n".join(header_lines)
    assert message["Reply-To"] == "eve@example.org"


def test_cr_lf_in_the_reply_address_is_refused(client, hostile_group, mailoutbox):
    response = client.post(
        f"/groups/{hostile_group.slug}/contact/",
        {
            "name": "Eve",
            "email": "eve@example.org\r\nBcc: victim@example.net",
            "message": "hi",
            "website": "",
        },
    )
    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    assert mailoutbox == []


SQLISH = [
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE groups_group; --",
    "%' UNION SELECT email, password FROM accounts_user --",
    "\x00",
    "abc\x00def",
    "%%%%__\\",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "[]",
    '{"$gt": ""}',
    "../../../../etc/passwd",
    "x" * 5000,
]
PARAMETERS = ["q", "kind", "party", "region", "constituency", "page", "order"]


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_sqlish_directory_filters_never_500(client, hostile_group, parameter):
    for value in SQLISH:
        response = client.get("/groups/", {parameter: value})
        assert response.status_code in {200, 400}, (parameter, value, response.status_code)


def test_repeated_and_combined_sqlish_parameters(client, hostile_group):
    query = "&".join(f"{name}=%27%20OR%201%3D1--&{name}=%00" for name in PARAMETERS)
    response = client.get(f"/groups/?{query}")
    assert response.status_code in {200, 400}

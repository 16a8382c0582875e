"""The one way to build an email, used by every sender (the outbox and the apps that still run
their own claim/send/mark loop: clash notifications, petition confirmations and updates).

- Text and HTML from one template pair: `templates/<template>.txt` (rendered without
  autoescaping: plain text shows "&", not "&amp;") and `.html` (autoescaped). Every template
  gets `site_name`, `site_url` and `unsubscribe_url`. The one exception is `html=False`, for
  text written by a stranger and relayed as it is (the group contact form): plain text only,
  so there is no HTML part in which anything could run.
- One subject policy (`email_subject`): one line, capped, prefixed with `[<SITE_NAME>]` exactly
  once. allauth's emails use it too (accounts/adapters.py).
- With an `unsubscribe_url`: the link in both bodies (`templates/outbox/footer.*`, so no email
  can forget it) and the headers `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058).
- Every header value and address passes through `alliance.mail.header_safe`: user input never
  adds a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

from alliance.links import absolute_url
from alliance.mail import header_safe

SUBJECT_LIMIT = 150


def site_name() -> str:
    return settings.SITE_NAME


def email_subject(subject: str) -> str:
    """The one subject policy: one line, capped, prefixed with the site name exactly once."""
    prefix = f"[{site_name()}]"
    text = header_safe(subject, SUBJECT_LIMIT)
    if text.startswith(prefix):
        return text
    return f"{prefix} {text}"


def email_absolute_url(path: str) -> str:
    """An absolute link for an email, from settings.SITE_URL ("/x/" → "https://site/x/")."""
    if path.startswith(("http://", "https://")):
        return path
    return absolute_url("/" + path.lstrip("/"))


def mail_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL, for Message-IDs."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "alliance.localhost"


def unsubscribe_headers(url: str) -> dict[str, str]:
    clean = header_safe(url, 2000)
    if clean != url or not url.startswith(("https://", "http://")) or ">" in url:
        raise ValueError("The unsubscribe link must be one absolute URL.")
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _with_footer(body: str, footer: str, *, html: bool) -> str:
    if html and "</body>" in body:
        head, _, tail = body.rpartition("</body>")
        return f"{head}{footer}</body>{tail}"
    return f"{body.rstrip()}\n\n{footer}" if not html else f"{body}{footer}"


def _render_text(name: str, context: dict) -> str:
    """A plain-text body: rendered WITHOUT autoescaping, so no .txt template needs its own
    `autoescape off`."""
    return get_template(name).template.render(Context(context, autoescape=False))


def email_render_parts(*, template: str, context: dict) -> tuple[str, str]:
    """(text, html) of `templates/<template>.txt` and `.html`, with no footer: a piece that
    many emails share (a digest's sections), rendered once and given to `email_content` in
    the context of each (the HTML marked safe: it was autoescaped here)."""
    return _render_text(f"{template}.txt", context), render_to_string(f"{template}.html", context)


def email_render(
    *, template: str, context: dict, unsubscribe_url: str | None, html: bool = True
) -> tuple[str, str]:
    """(text, html) of `templates/<template>.txt` and `.html`, with the unsubscribe footer;
    html is "" for a plain-text-only email."""
    context = {
        **context,
        "site_name": site_name(),
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
    }
    text = _render_text(f"{template}.txt", context)
    body = render_to_string(f"{template}.html", context) if html else ""
    # Every email says where it comes from; the footer adds the unsubscribe link where one
    # applies.
    text = _with_footer(text, _render_text("outbox/footer.txt", context), html=False)
    if body:
        body = _with_footer(body, render_to_string("outbox/footer.html", context), html=True)
    return text, body


@dataclass(frozen=True)
class RenderedEmail:
    """An email with its subject policy applied and its bodies rendered: what the outbox
    stores as a row, and what `email_message` turns into a message."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def email_content(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    unsubscribe_url: str | None = None,
    one_click_url: str | None = None,
    headers: dict[str, str] | None = None,
    html: bool = True,
) -> RenderedEmail:
    """Check the recipient, apply the subject policy, render both bodies, add the unsubscribe
    headers; `headers` are extra ones (Message-ID, X-...). `unsubscribe_url` is the link in the
    body (a page with a button); `one_click_url`, where the app has one, is the RFC 8058
    endpoint the List-Unsubscribe header names instead."""
    to = header_safe(to, 254)
    if not to or "@" not in to:
        raise ValueError("An email needs a recipient address.")
    all_headers = {name: header_safe(value, 2000) for name, value in (headers or {}).items()}
    if unsubscribe_url:
        unsubscribe_url = email_absolute_url(unsubscribe_url)
        all_headers.update(
            unsubscribe_headers(email_absolute_url(one_click_url or unsubscribe_url))
        )
    text, body = email_render(
        template=template, context=context, unsubscribe_url=unsubscribe_url, html=html
    )
    return RenderedEmail(
        to=to, subject=email_subject(subject), text=text, html=body, headers=all_headers
    )


def email_message(
    email: RenderedEmail, *, reply_to: str | None = None, headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    """The message for a rendered email: from DEFAULT_FROM_EMAIL, text with an HTML
    alternative (if it has one), every header one line."""
    message = EmailMultiAlternatives(
        subject=header_safe(email.subject, 255),
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[header_safe(reply_to, 254)] if reply_to else None,
        headers={
            name: header_safe(value, 2000)
            for name, value in {**email.headers, **(headers or {})}.items()
        },
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def email_message_build(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None,
    reply_to: str | None = None,
    html: bool = True,
) -> EmailMultiAlternatives:
    """One email, ready to send, for senders that keep their own claim/send/mark loop.
    Everything else writes to the outbox (`outbox.services.email_enqueue`), which builds
    its rows with the same `email_content`."""
    content = email_content(
        to=to,
        subject=subject,
        template=template,
        context=context,
        unsubscribe_url=unsubscribe_url,
        headers=headers,
        html=html,
    )
    return email_message(content, reply_to=reply_to)

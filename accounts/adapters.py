from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from alliance.links import on_site, site_domain
from alliance.ratelimit import client_ip
from outbox.emails import email_subject


@dataclass(frozen=True)
class SiteFromSettings:
    """What allauth's email templates call `current_site`, named from settings (never the
    `example.com` row django.contrib.sites starts with, never the request's Host)."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return True

    def get_client_ip(self, request) -> str:
        # allauth's login/sign-up limits count the same address as every other limit.
        return client_ip(request) or super().get_client_ip(request)

    def format_email_subject(self, subject: str) -> str:
        # The one subject policy of every email (outbox.emails.email_subject).
        return email_subject(str(subject))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Every allauth email passes here: its site name and every link it carries (activate_url,
        # password_reset_url, signup_url, ...) come from SITE_URL, like every other email.
        context = {
            **context,
            "current_site": SiteFromSettings(name=settings.SITE_NAME, domain=site_domain()),
        }
        for key, value in context.items():
            if key.endswith("_url") and isinstance(value, str) and "://" in value:
                context[key] = on_site(value)
        super().send_mail(template_prefix, email, context)

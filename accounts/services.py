"""Workflows for accounts: what the platform holds about a person, and forgetting them.

Personal data is a registry: every app that keeps something about a user provides
`<app>/personal_data.py` with

    def export(user) -> dict | list      # everything it holds about `user`, JSON-ready
    def erase(user) -> None              # delete it, or anonymise where counts must stay

`user_data_export` and `user_delete` find those modules by name, so a new app only has to add
its own module.
"""

import importlib
from datetime import datetime
from types import ModuleType

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import transaction
from django.utils import timezone


def _personal_data_modules() -> dict[str, ModuleType]:
    """`{app label: <app>.personal_data}` for every installed app that has one."""
    modules = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.personal_data"
        try:
            modules[config.label] = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:  # the module exists but is broken: say so
                raise
    return modules


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _account_section(user) -> dict:
    from allauth.mfa.models import Authenticator

    return {
        "email": user.email,
        "name": user.name,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "is_staff": user.is_staff,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        # Which kinds of second factor are set up; never the secrets themselves.
        "two_factor": sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
    }


def user_data_export(*, user) -> dict:
    """Everything the platform holds about `user`, one section per app, ready for JSON."""
    data: dict = {
        "generated_at": timezone.now().isoformat(),
        "account": _account_section(user),
    }
    for label, module in sorted(_personal_data_modules().items()):
        if hasattr(module, "export"):
            data[label] = module.export(user)
    return data


@transaction.atomic
def user_delete(*, user) -> None:
    """Forget `user`: every app erases (or anonymises) what it holds, then the account goes.

    One transaction: if any app fails, nothing is erased and the account stays.
    """
    for _label, module in sorted(_personal_data_modules().items()):
        if hasattr(module, "erase"):
            module.erase(user)
    EmailAddress.objects.filter(user=user).delete()
    user.delete()

"""Accounts through django-allauth: sign-up with mandatory verification (confirmed by POST),
login by email, password reset and change, email change, logout, rate limits, TOTP."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, MembershipFactory, PartyStaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-passphrase-42"


def link_in(email) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", email.body).group(1)


def login(client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def reauthenticate(client, password: str = PASSWORD) -> None:
    """allauth asks for the password again before security changes such as 2FA."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302


def signed_in_user(client):
    return client.get(reverse("accounts:profile")).wsgi_request.user


# --- sign-up and verification ---------------------------------------------------------------


def test_confirmation_is_by_post_only():
    assert settings.ACCOUNT_CONFIRM_EMAIL_ON_GET is False
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
    assert set(settings.ACCOUNT_LOGIN_METHODS) == {"email"}


def test_sign_up_verify_by_post_and_get_logged_in(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "New.Person@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    sent = client.get(response["Location"])
    assert "Verify Your Email Address" in sent.content.decode()
    user = User.objects.get(email__iexact="new.person@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("[Alliance] ")
    confirm_path = link_in(mail.outbox[0])
    assert confirm_path.startswith("/accounts/confirm-email/")

    # Opening the link (as a mail scanner would) shows a button but confirms nothing.
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert not EmailAddress.objects.get(user=user).verified

    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert signed_in_user(client) == user


def test_unverified_user_cannot_sign_in(client):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = login(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not signed_in_user(client).is_authenticated
    assert len(mail.outbox) == 1  # a fresh confirmation link


def test_signup_errors_rerender_with_input(client):
    UserFactory(email="taken@example.org")
    response = client.post(
        reverse("account_signup"),
        {"email": "taken@example.org", "password1": "short", "password2": "different"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    # Mandatory verification hides whether an address has an account; password errors show.
    assert "This password is too short." in page
    assert 'value="taken@example.org"' in page
    assert 'class="field-error"' in page


def test_login_by_email_and_logout_by_post(client, user):
    response = login(client, user.email.upper())
    assert response.status_code == 302
    assert signed_in_user(client) == user
    assert client.get(reverse("account_logout")).status_code == 200  # a confirmation page
    assert signed_in_user(client) == user
    client.post(reverse("account_logout"))
    assert not signed_in_user(client).is_authenticated


def test_wrong_password_explains(client, user):
    response = login(client, user.email, "wrong-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )


# --- password reset, password change, email change ------------------------------------------


def test_password_reset_all_steps(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response["Location"] == reverse("account_reset_password_done")
    assert client.get(response["Location"]).status_code == 200
    reset_path = link_in(mail.outbox[0])
    response = client.get(reset_path)  # allauth moves the key into the session
    assert response.status_code == 302
    set_password_url = response["Location"]
    form = client.get(set_password_url)
    assert form.status_code == 200 and "Change Password" in form.content.decode()
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    assert client.get(response["Location"]).status_code == 200
    client.logout()
    assert login(client, user.email, PASSWORD).status_code == 200  # old one refused
    assert login(client, user.email, NEW_PASSWORD).status_code == 302


def test_password_reset_for_unknown_email_does_not_reveal_it(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("account_reset_password_done")


def test_password_change(client, user):
    login(client, user.email)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_email_change_needs_verification(client, user):
    login(client, user.email)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "changed@example.org"}
    )
    assert response.status_code == 302
    new = EmailAddress.objects.get(email="changed@example.org")
    assert new.user == user and not new.verified
    assert "changed@example.org" in mail.outbox[-1].to
    client.post(link_in(mail.outbox[-1]))
    user.refresh_from_db()
    assert user.email == "changed@example.org"
    assert EmailAddress.objects.get(email="changed@example.org").verified


# --- rate limits ------------------------------------------------------------------------------


def test_repeated_failed_logins_for_one_account_are_throttled(client, user):
    for _ in range(5):
        assert login(client, user.email, "wrong").status_code == 200
    # Even the right password is refused for a while now.
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not signed_in_user(client).is_authenticated


def test_login_flood_from_one_address_gets_a_429_page(client):
    statuses = [login(client, f"someone{n}@example.org", "wrong").status_code for n in range(31)]
    assert 500 not in statuses
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    response = login(client, "another@example.org", "wrong")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "Skip to main content" in response.content.decode()  # our page, in base.html


# --- two-factor (TOTP) ------------------------------------------------------------------------


def current_code(secret: str) -> str:
    counter = list(yield_hotp_counters_from_time())[len(list(yield_hotp_counters_from_time())) // 2]
    return format_hotp_value(hotp_value(secret, counter))


def test_organiser_turns_on_totp_and_then_needs_it_to_sign_in(client, organiser, group):
    login(client, organiser.email)
    assert "Two-factor" in client.get(reverse("home")).content.decode()  # in the menu
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "totp-qr" in page.content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200 and "Incorrect code." in response.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=organiser, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it and can be viewed.
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert codes.status_code == 200
    client.post(reverse("account_logout"))

    response = login(client, organiser.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in_user(client).is_authenticated
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert signed_in_user(client) == organiser

    # And it can be turned off again (after confirming the password once more).
    reauthenticate(client)
    assert client.get(reverse("mfa_deactivate_totp")).status_code == 200
    client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=organiser, type="totp").exists()


def test_party_staff_can_turn_on_totp(client):
    staff = PartyStaffFactory().user
    login(client, staff.email)
    reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


# --- pages render in our layout -------------------------------------------------------------

SIGNED_OUT_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
]
SIGNED_IN_PAGES = [
    "account_email",
    "account_change_password",
    "account_logout",
    "mfa_index",
    "account_reauthenticate",
    "accounts:profile",
]


@pytest.mark.parametrize("name", SIGNED_OUT_PAGES)
def test_signed_out_pages_render_in_base(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Skip to main content" in page and 'class="auth-card"' in page
    assert "<p>Menu:" not in page and "<strong>Menu:</strong>" not in page  # allauth's bare layout


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_render_in_base_with_account_nav(client, user, name):
    login(client, user.email)
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Skip to main content" in page and 'class="auth-card"' in page
    if name not in ("account_logout", "account_reauthenticate"):
        assert 'aria-label="Account settings"' in page


def test_login_page_has_real_labels(client):
    page = client.get(reverse("account_login")).content.decode()
    assert '<label for="id_login">Email' in page
    assert '<label for="id_password">Password' in page


def test_profile_shows_roles_from_memberships(client, organiser, group):
    MembershipFactory(user=organiser, role="member")
    PartyStaffFactory(user=organiser)
    client.force_login(organiser)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Organiser</span> of" in page and group.name in page
    assert "Member</span> of" in page
    assert "Staff</span>" in page


def test_profile_saves_name(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"name": "Renamed Person"}, follow=True)
    user.refresh_from_db()
    assert user.name == "Renamed Person"
    assert "Your profile has been saved." in response.content.decode()


def test_profile_needs_sign_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

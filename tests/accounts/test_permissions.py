"""What "has a verified email" means, decided once (accounts.permissions) for every app."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser

from accounts.permissions import user_has_verified_email
from tests.factories import UserFactory


def test_the_sign_in_address_verified_counts(db):
    assert user_has_verified_email(UserFactory())


def test_another_verified_address_does_not_stand_in_for_the_sign_in_address(db):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email="other@example.org", verified=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    assert not user_has_verified_email(user)


def test_nobody_signed_in_has_no_verified_email(db):
    assert not user_has_verified_email(AnonymousUser())

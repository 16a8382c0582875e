"""What an account may do as a whole, decided once for every app."""

from allauth.account.models import EmailAddress


def user_has_verified_email(user) -> bool:
    """True when the account's sign-in address (`user.email`) is verified.

    Only that address counts: an unverified primary with some other verified address would let
    a person act (sign, swap, accept an invitation) under an address nobody has proved they own."""
    if not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()

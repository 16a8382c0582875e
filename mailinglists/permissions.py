"""Who may do what with a mailing list. Organisers of the group write and read its mailings;
the links in emails carry their own proof (a random or signed token), no sign-in."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from groups.permissions import group_get_for_organiser
from mailinglists.models import Mailing, Subscription
from mailinglists.services import unsubscribe_token_read


def mailing_get_for_organiser(*, user, slug: str, mailing_id: int) -> Mailing:
    """A mailing of a group `user` organises: 403 for anyone else, 404 for another group's."""
    group = group_get_for_organiser(user=user, slug=slug)
    return get_object_or_404(
        Mailing.objects.with_counts().select_related("group", "event", "author"),
        pk=mailing_id,
        group=group,
    )


def subscription_get_by_unsubscribe_token(*, token: str) -> tuple[Subscription, int | None]:
    """The subscription behind an unsubscribe (or erase) link; 404 for a forged or old one."""
    read = unsubscribe_token_read(token)
    if read is None:
        raise Http404("This link is not valid.")
    subscription_id, mailing_id = read
    subscription = Subscription.objects.select_related("group").filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404("This link is not valid any more.")
    return subscription, mailing_id

"""Subscribing from a group page, the links in the emails (confirm, unsubscribe, forget: no
sign-in), and the organisers' pages: the list, writing an email, what happened to it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alliance.ratelimit import client_ip, rate_limit_exceeded
from groups.models import Group
from groups.permissions import group_get_for_organiser
from mailinglists import services
from mailinglists.choices import ConsentSource, SubscriptionStatus
from mailinglists.forms import MailingForm, SubscribeForm
from mailinglists.models import Mailing, Subscription
from mailinglists.permissions import (
    mailing_get_for_organiser,
    subscription_get_by_unsubscribe_token,
)

CHECK_YOUR_EMAIL = (
    "Thank you. If that address is not on the list yet, we have emailed it a link: "
    "click it to confirm, and you will start getting news from {group}."
)
MAILINGS_SHOWN = 50


@require_POST
def subscribe(request, slug):
    group = get_object_or_404(Group, slug=slug)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please enter a valid email address to subscribe.")
        return redirect(group)
    if form.cleaned_data["website"]:  # the honeypot: pretend, send nothing
        messages.success(request, CHECK_YOUR_EMAIL.format(group=group.name))
        return redirect(group)
    if rate_limit_exceeded(
        scope="list-subscribe",
        key=client_ip(request),
        limit=settings.MAILINGLISTS_SUBSCRIBE_PER_IP_HOUR,
        period_seconds=3600,
    ):
        messages.error(request, "Several addresses were subscribed from here recently. Please "
                       "try again in an hour.")  # fmt: skip
        return redirect(group)
    services.list_subscribe(
        group=group,
        email=form.cleaned_data["email"],
        name=form.cleaned_data["name"],
        source=ConsentSource.GROUP_PAGE,
        user=request.user,
    )
    # The same answer whether the address was new, pending or subscribed already.
    messages.success(request, CHECK_YOUR_EMAIL.format(group=group.name))
    return redirect(group)


def confirm(request, token):
    """From the confirmation email. A GET only shows the button (mail scanners open links)."""
    subscription = get_object_or_404(
        Subscription.objects.select_related("group").exclude(
            status=SubscriptionStatus.UNSUBSCRIBED
        ),
        token=token,
    )
    if request.method == "POST":
        subscription = services.list_subscription_confirm(token=token)
        if subscription is None:
            raise Http404("This link is not valid any more.")
        messages.success(request, f"Confirmed: you will get news from {subscription.group.name}.")
        return redirect(subscription.group)
    return render(
        request,
        "mailinglists/confirm.html",
        {
            "subscription": subscription,
            "group": subscription.group,
            "already": subscription.status == SubscriptionStatus.CONFIRMED,
        },
    )


def unsubscribe(request, token):
    """From the link in every list email: no sign-in. A GET only shows the button."""
    subscription, mailing_id = subscription_get_by_unsubscribe_token(token=token)
    done = False
    if request.method == "POST":
        services.list_unsubscribe(subscription=subscription, mailing_id=mailing_id)
        done = True
    return render(
        request,
        "mailinglists/unsubscribe.html",
        {
            "subscription": subscription,
            "group": subscription.group,
            "done": done or subscription.status == SubscriptionStatus.UNSUBSCRIBED,
            "token": token,
        },
    )


@require_POST
def forget(request, token):
    """Erase the address from every list (its holder, from the link in an email)."""
    subscription, _ = subscription_get_by_unsubscribe_token(token=token)
    services.list_subscriptions_erase(email=subscription.email)
    return render(request, "mailinglists/forgotten.html", {"group": subscription.group})


@login_required
def list_overview(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    counts = Subscription.objects.filter(group=group).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in SubscriptionStatus.values}
    )
    mailings = (
        Mailing.objects.filter(group=group)
        .with_counts()
        .select_related("event", "author")[:MAILINGS_SHOWN]
    )
    return render(
        request,
        "mailinglists/list_overview.html",
        {
            "group": group,
            "counts": counts,
            "mailings": mailings,
            "limit": services.unverified_limit(),
        },
    )


@login_required
def mailing_create(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = MailingForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        if rate_limit_exceeded(
            scope="list-send",
            key=str(group.pk),
            limit=settings.MAILINGLISTS_SENDS_PER_DAY,
            period_seconds=86400,
        ):
            form.add_error(None, "This group has sent several emails today. Please try again "
                           "tomorrow.")  # fmt: skip
        else:
            try:
                mailing = services.mailing_create(
                    group=group, author=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your email is on its way.")
                return redirect(mailing)
    return render(
        request,
        "mailinglists/mailing_form.html",
        {"group": group, "form": form, "limit": services.unverified_limit()},
    )


@login_required
def mailing_detail(request, slug, mailing_id):
    mailing = mailing_get_for_organiser(user=request.user, slug=slug, mailing_id=mailing_id)
    return render(
        request, "mailinglists/mailing_detail.html", {"mailing": mailing, "group": mailing.group}
    )

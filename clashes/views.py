"""Clash pages: the clash itself (organisers act on it), the list for party staff and
organisers, and the notification settings reached from every clash email."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clashes import services
from clashes.delivery import unsubscribe_user_id
from clashes.filters import ClashFilter
from clashes.forms import ClashMergeForm, NotificationPreferenceForm
from clashes.models import Clash, NotificationMode, NotificationPreference
from clashes.permissions import (
    clash_get_for_merging,
    clash_get_for_organiser,
    clash_get_for_viewer,
    clash_sides_show,
    user_may_merge_clash,
    user_organises_clash,
)
from clashes.presentation import clash_context

PAGE_SIZE = 25


@login_required
def clash_list(request):
    clash_filter = ClashFilter(request.GET, queryset=Clash.objects.visible_to(request.user))
    page = Paginator(clash_filter.qs.for_list().order_by("-detected_at", "-pk"), PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    page_obj.object_list = list(page_obj.object_list)
    clash_sides_show(user=request.user, clashes=page_obj.object_list)
    return render(
        request, "clashes/clash_list.html", {"filter": clash_filter, "page_obj": page_obj}
    )


@login_required
def clash_detail(request, pk, merge_form=None):
    clash = clash_get_for_viewer(user=request.user, pk=pk)
    can_act = user_organises_clash(user=request.user, clash=clash) and clash.is_actionable
    can_merge = can_act and user_may_merge_clash(user=request.user, clash=clash)
    context = {
        **clash_context(clash, viewer=request.user),
        "can_act": can_act,
        "can_merge": can_merge,
        "merge_form": (merge_form or ClashMergeForm(clash=clash)) if can_merge else None,
    }
    return render(request, "clashes/clash_detail.html", context, status=400 if merge_form else 200)


@login_required
@require_POST
def clash_acknowledge(request, pk):
    clash = clash_get_for_organiser(user=request.user, pk=pk)
    try:
        services.clash_acknowledge(clash=clash, user=request.user)
        messages.success(request, "Clash acknowledged: the other organisers can see you know.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(clash)


@login_required
@require_POST
def clash_dismiss(request, pk):
    clash = clash_get_for_organiser(user=request.user, pk=pk)
    try:
        services.clash_dismiss(clash=clash, user=request.user)
        messages.success(request, "Clash dismissed as not a problem.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(clash)


@login_required
@require_POST
def clash_merge(request, pk):
    clash = clash_get_for_merging(user=request.user, pk=pk)
    form = ClashMergeForm(request.POST, clash=clash)
    if form.is_valid():
        try:
            kept = services.clash_merge(
                clash=clash, user=request.user, keep_event_id=form.cleaned_data["keep"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, " ".join(error.messages))
            else:
                form.add_error(None, error)
        else:
            messages.success(request, "Merged: both groups now organise this event together.")
            return redirect(kept)
    return clash_detail(request, pk, merge_form=form)


@login_required
def clash_notification_settings(request):
    return _preference_page(request, user=request.user, token=None)


def clash_unsubscribe(request, token):
    """Reached from the link in every clash email: no sign-in, the signed token says who."""
    user_id = unsubscribe_user_id(token)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise Http404("This link is not valid.")
    return _preference_page(request, user=user, token=token)


def _preference_page(request, *, user, token):
    current = (
        NotificationPreference.objects.filter(user=user)
        .values_list("clash_emails", flat=True)
        .first()
    ) or NotificationMode.IMMEDIATE
    initial = {"clash_emails": NotificationMode.OFF if token else current}
    form = NotificationPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.notification_preference_set(
            user=user, clash_emails=form.cleaned_data["clash_emails"]
        )
        messages.success(request, "Your clash email settings are saved.")
        return redirect(request.path)
    return render(
        request,
        "clashes/clash_notifications.html",
        {"form": form, "current": NotificationMode(current).label, "by_link": bool(token)},
        status=400 if form.errors else 200,
    )

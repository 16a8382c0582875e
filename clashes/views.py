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

from alliance.ratelimit import rate_limit_exceeded
from clashes import services
from clashes.delivery import unsubscribe_user_id
from clashes.filters import ClashFilter
from clashes.forms import ClashMergeForm, ClashNoteForm, NotificationPreferenceForm
from clashes.models import (
    Clash,
    JointEventProposal,
    NotificationMode,
    NotificationPreference,
    ProposalStatus,
)
from clashes.permissions import (
    clash_get_for_merging,
    clash_get_for_organiser,
    clash_get_for_proposing,
    clash_get_for_staff,
    clash_get_for_viewer,
    clash_sides_show,
    joint_proposal_get_for_answering,
    joint_proposal_get_for_viewer,
    user_is_staff_for_clash,
    user_may_answer_joint_proposal,
    user_may_merge_clash,
    user_may_propose_joint_event,
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
def clash_detail(request, pk, merge_form=None, propose_form=None, note_form=None):
    clash = clash_get_for_viewer(user=request.user, pk=pk)
    can_act = user_organises_clash(user=request.user, clash=clash) and clash.is_actionable
    can_merge = can_act and user_may_merge_clash(user=request.user, clash=clash)
    pending = JointEventProposal.objects.pending().filter(clash=clash).first() if can_act else None
    can_propose = (
        can_act and pending is None and user_may_propose_joint_event(user=request.user, clash=clash)
    )
    context = clash_context(clash, viewer=request.user)
    context.update(
        {
            "can_act": can_act,
            "can_merge": can_merge,
            "merge_form": (merge_form or ClashMergeForm(clash=clash)) if can_merge else None,
            "can_propose": can_propose,
            "propose_form": (
                (propose_form or ClashMergeForm(clash=clash, prefix="propose"))
                if can_propose
                else None
            ),
            "pending_proposal": pending,
            "notes": clash.notes.select_related("author"),
            "note_form": (note_form or ClashNoteForm())
            if user_is_staff_for_clash(user=request.user, clash=clash)
            else None,
        }
    )
    failed = merge_form is not None or propose_form is not None or note_form is not None
    return render(request, "clashes/clash_detail.html", context, status=400 if failed else 200)


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
@require_POST
def clash_propose(request, pk):
    """An organiser of one side asks the other side for a joint event."""
    clash = clash_get_for_proposing(user=request.user, pk=pk)
    clash_sides_show(user=request.user, clashes=[clash])  # the form names only what they see
    form = ClashMergeForm(request.POST, clash=clash, prefix="propose")
    if form.is_valid():
        try:
            proposal = services.joint_event_propose(
                clash=clash, user=request.user, keep_event_id=form.cleaned_data["keep"]
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request, "Proposed: the other group's organisers are asked to accept or decline."
            )
            return redirect(proposal)
    return clash_detail(request, pk, propose_form=form)


@login_required
def joint_proposal_detail(request, pk, status=200):
    proposal = joint_proposal_get_for_viewer(user=request.user, pk=pk)
    clash_sides_show(user=request.user, clashes=[proposal.clash])
    shown = {side.pk: side for side in (proposal.clash.shown_a, proposal.clash.shown_b)}
    context = {
        "proposal": proposal,
        "keep": shown[proposal.keep_event_id],
        "drop": shown[proposal.drop_event_id],
        "is_pending": proposal.status == ProposalStatus.PENDING,
        "can_answer": proposal.status == ProposalStatus.PENDING
        and user_may_answer_joint_proposal(user=request.user, proposal=proposal),
    }
    return render(request, "clashes/joint_proposal_detail.html", context, status=status)


@login_required
@require_POST
def joint_proposal_accept(request, pk):
    proposal = joint_proposal_get_for_answering(user=request.user, pk=pk)
    try:
        kept = services.joint_event_accept(proposal=proposal, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return joint_proposal_detail(request, pk, status=400)
    messages.success(request, "Accepted: both groups now organise this event together.")
    return redirect(kept)


@login_required
@require_POST
def joint_proposal_decline(request, pk):
    proposal = joint_proposal_get_for_answering(user=request.user, pk=pk)
    try:
        services.joint_event_decline(proposal=proposal, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return joint_proposal_detail(request, pk, status=400)
    messages.success(request, "Declined: both events stay as they are, and the proposer is told.")
    return redirect(proposal)


# Party staff emailing both sides of clashes: at most this many emails-to-both-sides an hour.
NOTE_EMAILS_PER_HOUR = 5


@login_required
@require_POST
def clash_note_add(request, pk):
    """Party staff leave a note both sides see, and may email it to both sides' organisers."""
    clash = clash_get_for_staff(user=request.user, pk=pk)
    form = ClashNoteForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email_organisers"]
        if email and rate_limit_exceeded(
            scope="clash-note-email",
            key=str(request.user.pk),
            limit=NOTE_EMAILS_PER_HOUR,
            period_seconds=3600,
        ):
            form.add_error(
                "email_organisers",
                "You have emailed organisers about clashes a lot this hour: try again later, "
                "or leave the note without emailing.",
            )
        else:
            services.clash_note_add(
                clash=clash,
                author=request.user,
                body=form.cleaned_data["body"],
                email_organisers=email,
            )
            messages.success(
                request, "Note added." + (" Both sides' organisers are emailed." if email else "")
            )
            return redirect(clash)
    return clash_detail(request, pk, note_form=form)


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

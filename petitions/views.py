from pathlib import PurePosixPath
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncDate, TruncHour
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import user_has_verified_email
from alliance.exports import csv_response
from alliance.forms import form_errors_add
from alliance.images import image_content_type
from alliance.links import absolute_url
from alliance.ratelimit import client_ip
from groups.models import Group, Role
from groups.permissions import group_get_for_organiser
from petitions import milestones
from petitions.charts import cumulative_chart
from petitions.formatting import body_html
from petitions.forms import (
    DeliverForm,
    InvalidateForm,
    OneClickSignForm,
    PetitionForm,
    RejectForm,
    SignForm,
    StallForm,
    UpdateForm,
)
from petitions.maps import petition_map
from petitions.models import (
    ConstituencyTally,
    Milestone,
    Petition,
    PetitionResponse,
    PetitionStatus,
    Signature,
    SignatureStatus,
)
from petitions.permissions import (
    petition_get_for_organiser,
    petition_get_for_viewer,
    staff_check,
    user_can_organise,
    user_may_respond,
)
from petitions.ratelimits import signing_refusal
from petitions.services import abuse, counting, signing, updates
from petitions.services import petitions as petition_services
from petitions.stall import MAX_HOURS as STALL_MAX_HOURS
from petitions.stall import stall_switch_off, stall_switch_on, stall_until

PAGE_SIZE = 20
RECENT_SIGNERS = 10


def _progress(count: int) -> dict:
    goal = milestones.next_goal(count)
    return {"count": count, "goal": goal, "previous_goal": milestones.previous_goal(count)}


def petition_list(request):
    petitions = Petition.objects.public().with_tally().order_by("status", "-created_at", "pk")
    page = Paginator(petitions, PAGE_SIZE).get_page(request.GET.get("page"))
    for petition in page.object_list:
        petition.progress = _progress(counting.petition_shown_count(petition))
    organised = (
        Group.objects.filter(memberships__user=request.user, memberships__role=Role.ORGANISER)
        .order_by("name")
        .only("name", "slug")
        if request.user.is_authenticated
        else []
    )
    mine = (
        Petition.objects.filter(group__in=organised).exclude(status__in=["open", "closed"])
        if organised
        else []
    )
    return render(
        request,
        "petitions/petition_list.html",
        {"page_obj": page, "organised_groups": organised, "my_unpublished": mine},
    )


def _one_click(request, petition: Petition) -> bool:
    """A signed-in verified user signs in one click, except on a device in stall mode, where
    every signer fills the public form (and confirms by email)."""
    return user_has_verified_email(user=request.user) and not stall_until(request, petition)


def _detail_context(request, petition: Petition, *, form=None, refusal: str = "") -> dict:
    count = counting.petition_shown_count(petition)
    verified = _one_click(request, petition)
    if form is None:
        form = (OneClickSignForm if verified else SignForm)(group=petition.group)
    share_url = absolute_url(petition)
    share_text = quote(f"I signed “{petition.title}”. Will you? {share_url}")
    tallies = list(
        ConstituencyTally.objects.filter(petition=petition)
        .select_related("constituency")
        .order_by("-confirmed_count", "constituency__name")
    )
    return {
        "petition": petition,
        "body_html": body_html(petition.body),
        "progress": _progress(count),
        "constituency_tallies": tallies,
        **petition_map(
            petition=petition,
            tallies=tallies,
            seat_code=request.GET.get("seat", ""),
            user=request.user,
        ),
        # Only a petition addressed to a party can have an answer (no query for the others).
        "response": PetitionResponse.objects.filter(petition=petition)
        .select_related("party")
        .first()
        if petition.target_party_id
        else None,
        "may_respond": user_may_respond(user=request.user, petition=petition),
        "recent_signers": Signature.objects.shown_publicly()
        .filter(petition=petition)
        .select_related("constituency")
        .order_by("-confirmed_at")[:RECENT_SIGNERS],
        "latest_milestone": Milestone.objects.filter(petition=petition).order_by("goal").last(),
        "form": form,
        "one_click": verified,
        "refusal": refusal,
        "is_organiser": user_can_organise(user=request.user, petition=petition),
        "stall_until": stall_until(request, petition),
        "share_url": share_url,
        "share_links": [
            ("Email", f"mailto:?subject={quote(petition.title)}&body={share_text}"),
            ("WhatsApp", f"https://wa.me/?text={share_text}"),
            ("Bluesky", f"https://bsky.app/intent/compose?text={share_text}"),
            ("X / Twitter", f"https://twitter.com/intent/tweet?text={share_text}"),
            ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={quote(share_url)}"),
        ],
    }


@require_GET
def petition_detail(request, slug):
    petition = petition_get_for_viewer(user=request.user, slug=slug)
    return render(request, "petitions/petition_detail.html", _detail_context(request, petition))


@require_POST
def petition_sign(request, slug):
    petition = petition_get_for_viewer(user=request.user, slug=slug)
    verified = _one_click(request, petition)
    form = (OneClickSignForm if verified else SignForm)(request.POST, group=petition.group)
    if not petition.is_accepting_signatures:
        form.add_error(None, "This petition is not open for signatures.")
    if not form.is_valid():
        return render(
            request,
            "petitions/petition_detail.html",
            _detail_context(request, petition, form=form),
            status=400,
        )
    data = form.cleaned_data
    if not verified and form.is_bot:
        return redirect(_signed_url(petition, "check-email"))
    email = request.user.email if verified else data["email"]
    ip = client_ip(request)
    at_stall = stall_until(request, petition) is not None
    refusal = signing_refusal(ip=ip, email=email, at_stall=at_stall)
    if refusal:
        context = _detail_context(request, petition, form=form, refusal=refusal)
        response = render(request, "petitions/petition_detail.html", context, status=429)
        response["Retry-After"] = "60"
        return response
    try:
        outcome = signing.signature_create(
            petition=petition,
            name=request.user.display_name if verified else data["name"],
            email=email,
            postcode=data["postcode"],
            town=data["town"],
            consent_to_contact=data["consent_to_contact"],
            show_publicly=data["show_publicly"],
            ip=ip or None,
            user=request.user if verified else None,
            email_verified=verified,
            keep_posted=data["keep_posted"],
            at_stall=at_stall,
        )
    except ValidationError as error:
        form_errors_add(form, error)
        return render(
            request,
            "petitions/petition_detail.html",
            _detail_context(request, petition, form=form),
            status=400,
        )
    # The public form answers the same whether or not this address had signed (the email says
    # which); a signed-in verified user is told, since it is their own address.
    if not verified:
        state = "check-email"
    elif outcome.already_confirmed:
        state = "already"
    else:
        state = "confirmed"
    return redirect(_signed_url(petition, state))


def _signed_url(petition: Petition, state: str) -> str:
    return reverse("petitions:signed", kwargs={"slug": petition.slug}) + f"?state={state}"


SIGNED_STATES = {
    "check-email": "Nearly done: check your email",
    "already": "You have already signed",
    "confirmed": "Thank you for signing",
}


@require_GET
def petition_signed(request, slug):
    petition = petition_get_for_viewer(user=request.user, slug=slug)
    state = request.GET.get("state", "check-email")
    if state not in SIGNED_STATES:
        state = "check-email"
    return render(
        request,
        "petitions/petition_signed.html",
        {
            "petition": petition,
            "state": state,
            "heading": SIGNED_STATES[state],
            # At a stall the device goes straight back to the form for the next person.
            "stall_until": stall_until(request, petition),
        },
    )


# Served images: a day in shared caches when public; a new image has a new address anyway.
IMAGE_CACHE_PUBLIC = "public, max-age=86400"


@require_GET
def petition_image(request, slug, name):
    """Stream a petition's image from the default storage (the deployment's MEDIA_ROOT or
    whatever STORAGES names), only to those who may see the petition, with the type of the
    decoded format and headers that stop a browser treating it as anything but an image."""
    petition = petition_get_for_viewer(user=request.user, slug=slug)
    stored = petition.image.name if petition.image else ""
    content_type = image_content_type(stored)
    if content_type is None or PurePosixPath(stored).name != name:
        raise Http404("No such image.")
    try:
        file = petition.image.storage.open(stored, "rb")
    except FileNotFoundError:
        raise Http404("No such image.")
    response = FileResponse(file, content_type=content_type)
    extension = PurePosixPath(stored).suffix
    response["Content-Disposition"] = f'inline; filename="{petition.slug}{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-site"
    response["Cache-Control"] = IMAGE_CACHE_PUBLIC if petition.is_public else "private, no-store"
    return response


@require_GET
def petition_json(request, slug):
    petition = get_object_or_404(Petition.objects.public().with_tally(), slug=slug)
    count = counting.petition_shown_count(petition)
    tallies = (
        ConstituencyTally.objects.filter(petition=petition)
        .select_related("constituency")
        .order_by("constituency__name")
    )
    payload = {
        "links": {"self": absolute_url(request.get_full_path())},
        "data": {
            "type": "petition",
            "id": petition.slug,
            "attributes": {
                "action": petition.title,
                "addressed_to": petition.target,
                "creator_group": petition.group.name,
                "state": petition.status,
                "signature_count": count,
                "counted_at": petition.tally.counted_at.isoformat()
                if getattr(petition, "tally", None)
                else None,
                "next_goal": milestones.next_goal(count),
                "milestones": [
                    {"goal": m.goal, "reached_at": m.reached_at.isoformat()}
                    for m in Milestone.objects.filter(petition=petition)
                ],
                "opens_at": petition.opens_at.isoformat() if petition.opens_at else None,
                "closes_at": petition.closes_at.isoformat() if petition.closes_at else None,
                "closed_at": petition.closed_at.isoformat() if petition.closed_at else None,
                "delivered_at": petition.delivered_at.isoformat()
                if petition.delivered_at
                else None,
                "signatures_by_constituency": [
                    {
                        "name": tally.constituency.name,
                        "ons_code": tally.constituency.ons_code,
                        "signature_count": tally.confirmed_count,
                    }
                    for tally in tallies
                ],
            },
        },
    }
    response = JsonResponse(payload)
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- Links from the confirmation email (GET shows a button; only POST acts) ----------------

SIGNATURE_ACTIONS = {
    "confirm": {
        "service": signing.signature_confirm,
        "title": "Confirm your signature",
        "button": "Confirm my signature",
        "explain": "Press the button to confirm and add your signature to the count.",
    },
    "remove": {
        "service": signing.signature_remove,
        "title": "Remove your signature",
        "button": "Remove my signature",
        "explain": "Press the button to take your name off this petition.",
    },
    "unsubscribe": {
        "service": signing.signature_unsubscribe,
        "title": "Stop updates about this petition",
        "button": "Unsubscribe",
        "explain": "Press the button and the organisers will send you no more updates.",
    },
}


def _signature_action(request, token: str, action: str):
    spec = SIGNATURE_ACTIONS[action]
    if request.method == "POST":
        signature = spec["service"](token=token)
        done = True
    else:
        signature = Signature.objects.select_related("petition").filter(token=token).first()
        done = False
    if signature is None:
        return render(request, "petitions/signature_missing.html", status=404)
    return render(
        request,
        "petitions/signature_action.html",
        {
            "signature": signature,
            "petition": signature.petition,
            "action": action,
            "spec": spec,
            "done": done,
            "Status": SignatureStatus,
        },
    )


@require_http_methods(["GET", "POST"])
def signature_confirm(request, token):
    return _signature_action(request, token, "confirm")


@require_http_methods(["GET", "POST"])
def signature_remove(request, token):
    return _signature_action(request, token, "remove")


@require_http_methods(["GET", "POST"])
def signature_unsubscribe(request, token):
    return _signature_action(request, token, "unsubscribe")


# --- Organiser tools -------------------------------------------------------------------


@login_required
def petition_create(request, group_slug):
    group = group_get_for_organiser(user=request.user, slug=group_slug)
    form = PetitionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition = petition_services.petition_create(
                group=group, author=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Draft saved. Submit it when you are ready to publish.")
            return redirect("petitions:dashboard", slug=petition.slug)
    return render(request, "petitions/petition_form.html", {"form": form, "group": group})


@login_required
def petition_edit(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    form = PetitionForm(request.POST or None, request.FILES or None, instance=petition)
    if request.method == "POST" and form.is_valid():
        status_before = petition.status  # not a form field: the form left it alone
        try:
            petition = petition_services.petition_update(petition=petition, **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            if petition.status != status_before:
                messages.info(
                    request,
                    "Changes saved. The petition is hidden until site staff approve the change.",
                )
            else:
                messages.success(request, "Changes saved.")
            return redirect("petitions:dashboard", slug=petition.slug)
    change_needs_moderation = petition.status == PetitionStatus.OPEN and (
        petition_services.petition_needs_moderation(petition)
    )
    return render(
        request,
        "petitions/petition_form.html",
        {
            "form": form,
            "group": petition.group,
            "petition": petition,
            "change_needs_moderation": change_needs_moderation,
        },
    )


@login_required
@require_POST
def petition_submit(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    try:
        petition = petition_services.petition_submit(petition=petition)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if petition.status == PetitionStatus.OPEN:
            messages.success(request, "Your petition is open for signatures.")
        else:
            messages.info(
                request, "Submitted. Site staff will review it before it opens to the public."
            )
    return redirect("petitions:dashboard", slug=petition.slug)


@login_required
def petition_dashboard(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    count = counting.petition_shown_count(petition)
    confirmed = Signature.objects.confirmed().filter(petition=petition)
    daily = list(
        confirmed.annotate(bucket=TruncDate("confirmed_at"))
        .values_list("bucket")
        .annotate(n=Count("*"))
        .order_by("bucket")
    )
    by_hour = len(daily) <= 2  # a young petition: hours say more than one or two days
    if by_hour:
        daily = list(
            confirmed.annotate(bucket=TruncHour("confirmed_at"))
            .values_list("bucket")
            .annotate(n=Count("*"))
            .order_by("bucket")
        )
    context = {
        "petition": petition,
        "progress": _progress(count),
        "chart": cumulative_chart(daily, by_hour=by_hour),
        "chart_by_hour": by_hour,
        "constituency_tallies": ConstituencyTally.objects.filter(petition=petition)
        .select_related("constituency")
        .order_by("-confirmed_count", "constituency__name"),
        "milestones": Milestone.objects.filter(petition=petition),
        "pending_count": Signature.objects.pending().filter(petition=petition).count(),
        "consenting_count": Signature.objects.consenting().filter(petition=petition).count(),
        "updates": petition.updates.all()[:10],
        "update_form": UpdateForm(),
        "deliver_form": DeliverForm(),
        "Status": PetitionStatus,
    }
    return render(request, "petitions/petition_dashboard.html", context)


@login_required
def petition_export_signers(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    response, writer = csv_response(f"{petition.slug}-signers-who-consented.csv")
    writer.writerow(["name", "email", "postcode", "constituency", "confirmed_at"])
    signers = (
        Signature.objects.consenting()
        .filter(petition=petition)
        .select_related("constituency")
        .order_by("confirmed_at", "pk")
    )
    for s in signers.iterator(chunk_size=2000):
        writer.writerow(
            [
                s.name,
                s.email,
                s.postcode,
                s.constituency.name if s.constituency else "",
                s.confirmed_at.isoformat() if s.confirmed_at else "",
            ]
        )
    return response


@login_required
def petition_export_counts(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    response, writer = csv_response(f"{petition.slug}-counts-by-constituency.csv")
    writer.writerow(["ons_code", "constituency", "signatures"])
    tallies = ConstituencyTally.objects.filter(petition=petition).select_related("constituency")
    total_known = 0
    for tally in tallies.order_by("constituency__name"):
        total_known += tally.confirmed_count
        writer.writerow(
            [tally.constituency.ons_code, tally.constituency.name, tally.confirmed_count]
        )
    unknown = counting.petition_shown_count(petition) - total_known
    writer.writerow(["", "Unknown constituency", max(unknown, 0)])
    return response


@login_required
@require_POST
def petition_send_update(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    form = UpdateForm(request.POST)
    if form.is_valid():
        updates.petition_update_create(petition=petition, by=request.user, **form.cleaned_data)
        messages.success(request, "Your update is being sent to signers who agreed to hear more.")
    else:
        messages.error(request, "The update was not sent: give it a subject and a message.")
    return redirect("petitions:dashboard", slug=petition.slug)


@login_required
@require_POST
def petition_close(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    try:
        petition_services.petition_close(petition=petition)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The petition is closed. Signatures so far still count.")
    return redirect("petitions:dashboard", slug=petition.slug)


@login_required
@require_POST
def petition_deliver(request, slug):
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    form = DeliverForm(request.POST)
    if form.is_valid():
        try:
            petition_services.petition_deliver(petition=petition, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Recorded the hand-over.")
    else:
        messages.error(request, "Give the date it was handed over (not in the future).")
    return redirect("petitions:dashboard", slug=petition.slug)


# --- Site staff ------------------------------------------------------------------------


@login_required
def staff_moderation(request):
    staff_check(user=request.user)
    if request.method == "POST":
        petition = get_object_or_404(Petition, pk=request.POST.get("petition"))
        approve = request.POST.get("decision") == "approve"
        form = RejectForm(request.POST)
        reason = form.data.get("reason", "")
        try:
            petition_services.petition_moderate(
                petition=petition, staff=request.user, approve=approve, reason=reason
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{petition.title}” {'opened' if approve else 'rejected'}.")
        return redirect("petitions:staff_moderation")
    pending = Petition.objects.awaiting_moderation().select_related("group").order_by("created_at")
    return render(
        request,
        "petitions/staff_moderation.html",
        {"pending": pending, "reject_form": RejectForm()},
    )


@login_required
def staff_invalidate(request):
    staff_check(user=request.user)
    form = InvalidateForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        criteria = abuse.InvalidationCriteria(**form.cleaned_data)
        if request.POST.get("confirm") == "yes":
            changed = abuse.signatures_invalidate(criteria=criteria)
            messages.success(request, f"Invalidated {changed} signatures; counts recomputed.")
            return redirect("petitions:staff_invalidate")
        preview = criteria.queryset().count()
    return render(request, "petitions/staff_invalidate.html", {"form": form, "preview": preview})


@login_required
@require_http_methods(["GET", "POST"])
def petition_stall(request, slug):
    """Stall mode on this device (a signed cookie, see petitions/stall.py): for organisers."""
    petition = petition_get_for_organiser(user=request.user, slug=slug)
    form = StallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = redirect("petitions:stall", slug=petition.slug)
        if form.cleaned_data["action"] == "off":
            stall_switch_off(response, petition=petition)
            messages.success(request, "Stall mode is off on this device.")
        elif not petition.is_accepting_signatures:
            messages.error(request, "This petition is not open for signatures.")
        else:
            ends = stall_switch_on(response, petition=petition, hours=form.cleaned_data["hours"])
            messages.success(
                request,
                f"Stall mode is on for this device until {timezone.localtime(ends):%H:%M}. "
                "Hand it to people at the stall: each signer confirms by email.",
            )
        return response
    context = {
        "petition": petition,
        "form": form,
        "stall_until": stall_until(request, petition),
        "max_hours": STALL_MAX_HOURS,
    }
    return render(request, "petitions/petition_stall.html", context)

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from alliance import versioned_cache
from alliance.ratelimit import client_ip, rate_limit_exceeded
from events import ics
from events.models import Event
from groups import coalitions, services
from groups.filters import GroupFilter
from groups.forms import (
    CoHostForm,
    ContactForm,
    GroupForm,
    LinkRequestForm,
    NetworkRequestForm,
    OrganiserInviteForm,
    PromoteForm,
)
from groups.models import (
    INVITATION_LIFETIME,
    CoHostInvitation,
    EventPromotion,
    Group,
    GroupLink,
    GroupRequest,
    InvitationStatus,
    LinkStatus,
    Membership,
    MembershipRequest,
    NetworkRequest,
    OrganiserInvitation,
    Role,
)
from groups.permissions import (
    group_event_get_for_organiser,
    group_get_for_organiser,
    group_link_get_for_organiser,
    group_request_get_for_organiser,
    invitation_get_open,
    user_is_member,
    user_is_organiser,
    user_may_accept_invitation,
)
from mailinglists.choices import ConsentSource
from mailinglists.services import list_subscribe
from petitions.models import Petition
from seats.charts import hexmap_locator
from seats.forms import NearForm

PAGE_SIZE = 24


# The directory's body is the same for everyone: it is cached per query string and version of
# the directory (services.directory_changed: groups created, edited, joined or left), and goes
# after this long at most (what else it shows: a party's colour).
DIRECTORY_PAGE_SECONDS = 60 * 5
DIRECTORY_PAGE_PARAMETERS = {*GroupFilter.base_filters, *NearForm.base_fields, "page"}


def group_list(request):
    """The directory; with a postcode, the groups within the chosen distance, nearest first.
    A body rendered since the last change comes from the cache: one Redis read, no query."""
    key = versioned_cache.page_key(request, "groups:list", DIRECTORY_PAGE_PARAMETERS)
    version = versioned_cache.version(services.DIRECTORY_VERSION) if key else None
    parts = versioned_cache.parts_get(key, version) if key else None
    if parts is None:
        context, cacheable = _group_list_context(request)
        parts = {"body": render_to_string("groups/_group_list_body.html", context, request)}
        if key and cacheable:
            versioned_cache.parts_set(key, version, timeout=DIRECTORY_PAGE_SECONDS, **parts)
    # Rendered by this view from our own (autoescaped) template: safe to reuse.
    body = mark_safe(parts["body"])  # noqa: S308
    return render(request, "groups/group_list.html", {"body": body})


def _group_list_context(request) -> tuple[dict, bool]:
    group_filter = GroupFilter(request.GET, queryset=Group.objects.with_counts())
    near_form = NearForm(request.GET)
    near_point = near_form.point if near_form.is_valid() else None
    groups = (
        group_filter.qs.near(near_point, near_form.miles)
        if near_point
        else group_filter.qs.alphabetical()
    )
    page = Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": group_filter,
        "page_obj": page,
        "near_form": near_form,
        "near_point": near_point,
    }
    # A postcode the lookup could not place just now must not be remembered as unplaceable.
    return context, not near_form.errors


@login_required
def my_groups(request):
    memberships = Membership.objects.of_user(request.user)
    join_requests = MembershipRequest.objects.filter(user=request.user).select_related("group")
    return render(
        request,
        "groups/my_groups.html",
        {"memberships": memberships, "join_requests": join_requests},
    )


def group_detail(request, slug):
    group = get_object_or_404(Group.objects.with_counts(), slug=slug)
    is_organiser = user_is_organiser(user=request.user, group=group)
    constituencies = list(group.constituencies.all())
    context = {
        "group": group,
        "organisers": Membership.objects.organisers().filter(group=group).select_related("user"),
        "linked_groups": Group.objects.linked_to(group).select_related("party"),
        "constituencies": constituencies,
        "locator": hexmap_locator(constituencies),
        "is_member": user_is_member(user=request.user, group=group),
        "has_asked_to_join": request.user.is_authenticated
        and MembershipRequest.objects.filter(group=group, user=request.user).exists(),
        "is_organiser": is_organiser,
        "pending_links": GroupLink.objects.pending_for(group) if is_organiser else [],
        # Organisers may end a link from either side.
        "links_in_force": [
            (link, link.to_group if link.from_group_id == group.pk else link.from_group)
            for link in GroupLink.objects.in_force_with(group)
        ]
        if is_organiser
        else [],
        # Its own events, those it co-hosts and those it promotes (marked so).
        "upcoming_events": (
            Event.objects.in_calendar_of([group.pk])
            .scheduled()
            .upcoming()
            .visible_to(request.user)
            .select_related("constituency", "group")
            .annotate(
                promoted_here=Exists(
                    EventPromotion.objects.filter(
                        event=OuterRef("pk"), group=group, status=LinkStatus.ACCEPTED
                    )
                )
            )
            .order_by("starts_at")[:6]
        ),
        "petitions": Petition.objects.filter(group=group).public().order_by("-created_at")[:6],
    }
    return render(request, "groups/group_detail.html", context)


@login_required
def group_create(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        constituencies = data.pop("constituencies")
        try:
            group = services.group_create(
                creator=request.user, constituencies=constituencies, **data
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"“{group.name}” is in the directory. You are its organiser.")
            return redirect(group)
    return render(request, "groups/group_form.html", {"form": form, "creating": True})


@login_required
def group_edit(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    saved_name = group.name  # validating the form writes the typed values onto `group`
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        constituencies = data.pop("constituencies")
        try:
            services.group_update(group=group, constituencies=constituencies, **data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Changes saved.")
            return redirect(group)
    return render(
        request, "groups/group_form.html", {"form": form, "group": group, "saved_name": saved_name}
    )


@login_required
@require_POST
def group_join(request, slug):
    group = get_object_or_404(Group, slug=slug)
    joined = services.group_join(group=group, user=request.user)
    if request.POST.get("keep_posted"):  # "Keep me posted by <group>", unticked by default
        list_subscribe(
            group=group,
            email=request.user.email,
            name=request.user.display_name,
            source=ConsentSource.JOINED_GROUP,
            user=request.user,
        )
    if isinstance(joined, MembershipRequest):
        messages.success(
            request, f"You have asked to join {group.name}. Its organisers will decide."
        )
    else:
        messages.success(request, f"You have joined {group.name}.")
    return redirect(group)


@login_required
@require_POST
def group_leave(request, slug):
    group = get_object_or_404(Group, slug=slug)
    try:
        left = services.group_member_remove(group=group, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if left:
            messages.success(request, f"You have left {group.name} (or withdrawn your request).")
        else:
            messages.info(request, f"You were not a member of {group.name}.")
    return redirect(group)


# Invitations one organiser may send in an hour: enough for a real team, too few to probe.
INVITES_PER_HOUR = 10


@login_required
def group_organisers(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = OrganiserInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if rate_limit_exceeded(
            scope="organiser-invite",
            key=str(request.user.pk),
            limit=INVITES_PER_HOUR,
            period_seconds=3600,
        ):
            form.add_error(
                None, "You have sent several invitations recently. Please try again in an hour."
            )
        else:
            email = form.cleaned_data["email"]
            services.organiser_invitation_create(group=group, email=email, invited_by=request.user)
            # The same answer whether or not the address has an account.
            messages.success(
                request,
                f"If {email} can receive email, we have sent an invitation there. "
                f"It lasts {INVITATION_LIFETIME.days} days.",
            )
            return redirect("groups:organisers", slug=group.slug)
    memberships = group.memberships.select_related("user").order_by("-role", "joined_at")
    return render(
        request,
        "groups/group_organisers.html",
        {
            "group": group,
            "form": form,
            "memberships": memberships,
            "join_requests": MembershipRequest.objects.for_group(group),
            "invitations": OrganiserInvitation.objects.for_group(group).open(),
            "Role": Role,
        },
    )


@login_required
@require_POST
def group_invitation_revoke(request, slug, invitation_id):
    group = group_get_for_organiser(user=request.user, slug=slug)
    invitation = get_object_or_404(OrganiserInvitation, pk=invitation_id, group=group)
    if services.organiser_invitation_close(invitation=invitation, status=InvitationStatus.REVOKED):
        messages.success(request, f"The invitation to {invitation.email} is revoked.")
    return redirect("groups:organisers", slug=group.slug)


@login_required
@require_POST
def group_request_decide(request, slug, request_id):
    group = group_get_for_organiser(user=request.user, slug=slug)
    join_request = get_object_or_404(
        MembershipRequest.objects.select_related("user"), pk=request_id, group=group
    )
    approve = request.POST.get("decision") == "approve"
    services.membership_request_decide(request=join_request, approve=approve)
    name = join_request.user.display_name
    messages.success(request, f"{name} is now a member." if approve else f"Declined {name}.")
    return redirect("groups:organisers", slug=group.slug)


def invitation_detail(request, token):
    """The page the emailed link opens. It changes nothing: accepting and declining are POSTs
    from its buttons. Signed in as someone else, it says so (403) without showing the address."""
    invitation = invitation_get_open(token=token)
    may_accept = user_may_accept_invitation(user=request.user, invitation=invitation)
    status = 403 if request.user.is_authenticated and not may_accept else 200
    return render(
        request,
        "groups/invitation_detail.html",
        {"invitation": invitation, "group": invitation.group, "may_accept": may_accept},
        status=status,
    )


@login_required
@require_POST
def invitation_accept(request, token):
    invitation = invitation_get_open(token=token)
    if not user_may_accept_invitation(user=request.user, invitation=invitation):
        raise PermissionDenied("This invitation is for someone else.")
    try:
        services.organiser_invitation_accept(invitation=invitation, user=request.user)
    except ValidationError as error:  # revoked or declined a moment ago, in another tab
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You are now an organiser of {invitation.group.name}.")
    return redirect(invitation.group)


@require_POST
def invitation_decline(request, token):
    """Whoever holds the link may decline it, signed in or not: the link went to the invitee."""
    invitation = invitation_get_open(token=token)
    services.organiser_invitation_close(invitation=invitation, status=InvitationStatus.DECLINED)
    messages.info(request, "Invitation declined. Nothing has changed.")
    return redirect("groups:list")


def group_contact(request, slug):
    group = get_object_or_404(Group, slug=slug)
    initial = {}
    if request.user.is_authenticated:
        initial = {"name": request.user.display_name, "email": request.user.email}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            # A bot filled the honeypot: pretend it worked, send nothing.
            messages.success(request, "Your message has been sent to the organisers.")
            return redirect(group)
        if rate_limit_exceeded(
            scope="group-contact", key=client_ip(request), limit=5, period_seconds=3600
        ):
            messages.error(
                request, "You have sent several messages recently. Please try again in an hour."
            )
        else:
            services.group_contact_send(
                group=group,
                sender_name=form.cleaned_data["name"],
                sender_email=form.cleaned_data["email"],
                message=form.cleaned_data["message"],
            )
            messages.success(request, "Your message has been sent to the organisers.")
            return redirect(group)
    return render(request, "groups/group_contact.html", {"group": group, "form": form})


@login_required
def group_link_request(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = LinkRequestForm(request.POST or None, from_group=group)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.group_link_request(
                from_group=group,
                to_group=form.cleaned_data["to_group"],
                user=request.user,
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if link.status == LinkStatus.ACCEPTED:
                messages.success(request, "You are now linked.")
            else:
                messages.success(
                    request, "Request sent. Their organisers will see it on their group page."
                )
            return redirect(group)
    return render(request, "groups/group_link_request.html", {"group": group, "form": form})


@login_required
@require_POST
def group_link_decide(request, slug, link_id):
    group = group_get_for_organiser(user=request.user, slug=slug)
    link = get_object_or_404(GroupLink, pk=link_id, to_group=group, status=LinkStatus.REQUESTED)
    accept = request.POST.get("decision") == "accept"
    services.group_link_decide(link=link, accept=accept, user=request.user)
    messages.success(
        request, f"Link with {link.from_group.name} {'accepted' if accept else 'declined'}."
    )
    return redirect(group)


@login_required
@require_http_methods(["GET", "POST"])
def group_link_end(request, slug, link_id):
    """End a link, from either side: a GET asks to confirm; the POST ends it."""
    group, link = group_link_get_for_organiser(user=request.user, slug=slug, link_id=link_id)
    other = link.to_group if link.from_group_id == group.pk else link.from_group
    if request.method == "POST":
        if coalitions.group_link_end(link=link, by_group=group):
            messages.success(request, f"The link with {other.name} has ended.")
        return redirect(group)
    return render(request, "groups/link_end.html", {"group": group, "other": other, "link": link})


# --- Coalitions -----------------------------------------------------------------------------

COALITION_EVENTS = 100
NETWORK_EVENTS = 100
NETWORK_CLASHES = 50
# Co-host invitations and network requests one organiser may send in an hour.
COALITION_REQUESTS_PER_HOUR = 20


def _coalition_limit_exceeded(user) -> bool:
    return rate_limit_exceeded(
        scope="coalition-request",
        key=str(user.pk),
        limit=COALITION_REQUESTS_PER_HOUR,
        period_seconds=3600,
    )


@login_required
def group_link_detail(request, slug, link_id):
    """The page the link request email opens: accept or decline (POST to link_decide)."""
    link = group_request_get_for_organiser(
        user=request.user, slug=slug, model=GroupLink, pk=link_id, field="to_group"
    )
    return render(
        request,
        "groups/coalition_request.html",
        {
            "group": link.to_group,
            "request_obj": link,
            "is_open": link.status == LinkStatus.REQUESTED,
            "heading": f"{link.from_group.name} asks to link up",
            "asker": link.from_group,
            "message": link.message,
            "decide_url": reverse("groups:link_decide", args=[slug, link.pk]),
            "accept_label": "Accept the link",
        },
    )


def _coalition_events(group_ids, user):
    return (
        Event.objects.visible_to(user)
        .scheduled()
        .upcoming()
        .in_calendar_of(group_ids)
        .select_related("group")
        .order_by("starts_at", "pk")
    )


def group_coalition(request, slug):
    """The group and the groups linked with it: one combined calendar and its feed."""
    group = get_object_or_404(Group, slug=slug)
    linked = list(Group.objects.linked_to(group).select_related("party").order_by("name"))
    group_ids = [group.pk, *(g.pk for g in linked)]
    events = list(_coalition_events(group_ids, request.user)[:COALITION_EVENTS])
    promoted = EventPromotion.objects.promoters(
        event_ids=[event.pk for event in events], group_ids=group_ids
    )
    for event in events:
        event.promoted_by = promoted.get(event.pk, [])
    return render(
        request,
        "groups/group_coalition.html",
        {"group": group, "linked_groups": linked, "events": events},
    )


def group_coalition_feed(request, slug):
    group = get_object_or_404(Group, slug=slug)
    group_ids = [group.pk, *Group.objects.linked_to(group).values_list("pk", flat=True)]
    events = Event.objects.visible_to(request.user).in_calendar_of(group_ids)
    return ics.feed_response(
        request,
        ics.feed_events(events),
        name=f"{group.name} and linked groups",
        filename=f"{group.slug}-coalition.ics",
        promoted_in=group_ids,
    )


@login_required
def group_event_promote(request, slug, pk):
    event = group_event_get_for_organiser(user=request.user, slug=slug, pk=pk)
    form = PromoteForm(request.POST or None, group=event.group)
    if request.method == "POST" and form.is_valid():
        try:
            asked = coalitions.event_promotion_request(
                event=event, groups=form.cleaned_data["groups"], user=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Asked {len(asked)} group{'s' if len(asked) != 1 else ''}. It shows in their "
                "calendars once their organisers accept.",
            )
            return redirect(event)
    asked = EventPromotion.objects.filter(event=event).select_related("group")
    return render(
        request,
        "groups/event_promote.html",
        {"group": event.group, "event": event, "form": form, "asked": asked},
    )


@login_required
def group_event_cohost(request, slug, pk):
    event = group_event_get_for_organiser(user=request.user, slug=slug, pk=pk)
    form = CoHostForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        if _coalition_limit_exceeded(request.user):
            form.add_error(None, "You have sent several requests recently. Try again in an hour.")
        else:
            try:
                coalitions.event_cohost_invite(
                    event=event, group=form.cleaned_data["group"], user=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Invitation sent to their organisers.")
                return redirect(event)
    invited = CoHostInvitation.objects.filter(event=event).select_related("group")
    return render(
        request,
        "groups/event_cohost.html",
        {"group": event.group, "event": event, "form": form, "invited": invited},
    )


@login_required
def group_network(request, slug):
    """A network's organisers: its groups' events, open clashes and member counts."""
    from clashes.models import Clash

    group = group_get_for_organiser(user=request.user, slug=slug)
    children = list(group.children.with_counts().order_by("name"))
    child_ids = [child.pk for child in children]
    events = (
        Event.objects.visible_to(request.user)
        .scheduled()
        .upcoming()
        .in_calendar_of(child_ids)
        .select_related("group")
        .order_by("starts_at", "pk")[:NETWORK_EVENTS]
    )
    # The network sees its groups' clashes; an event the viewer may not see keeps its title.
    clashes = list(
        Clash.objects.open()
        .filter(Q(event_a__group_id__in=child_ids) | Q(event_b__group_id__in=child_ids))
        .for_list()
        .order_by("event_a__starts_at", "pk")[:NETWORK_CLASHES]
    )
    clash_event_ids = {pk for clash in clashes for pk in (clash.event_a_id, clash.event_b_id)}
    visible = set(
        Event.objects.visible_to(request.user)
        .filter(pk__in=clash_event_ids)
        .values_list("pk", flat=True)
    )
    for clash in clashes:
        clash.a_visible = clash.event_a_id in visible
        clash.b_visible = clash.event_b_id in visible
    form = NetworkRequestForm(request.POST or None, parent=group)
    if request.method == "POST" and form.is_valid():
        if _coalition_limit_exceeded(request.user):
            form.add_error(None, "You have sent several requests recently. Try again in an hour.")
        else:
            try:
                coalitions.network_request_create(
                    parent=group, child=form.cleaned_data["child"], user=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Request sent to their organisers.")
                return redirect("groups:network", slug=group.slug)
    return render(
        request,
        "groups/group_network.html",
        {
            "group": group,
            "children": children,
            "events": events,
            "clashes": clashes,
            "form": form,
            "pending": NetworkRequest.objects.filter(
                parent=group, status=LinkStatus.REQUESTED
            ).select_related("child"),
        },
    )


# --- Requests between groups: one page and one accept/decline for every kind ------------------


@dataclass(frozen=True)
class RequestKind:
    """How a kind of request between groups (groups.models.GroupRequest) shows on its page
    and is decided. `asked`: the field of the group that decides; `decide`: the kind's
    service, whose request argument is `argument`; `heading` is formatted with the request
    as `r`; `asker`: the path to the group that asked."""

    model: type[GroupRequest]
    asked: str
    related: tuple[str, ...]
    decide: Callable
    argument: str
    decide_url: str
    heading: str
    asker: str
    accept_label: str
    accepted: str
    accepted_goes_to_event: bool = False


REQUEST_KINDS = {
    "promotion": RequestKind(
        EventPromotion, "group", ("event__group", "group"),
        coalitions.event_promotion_decide, "promotion", "groups:promotion_decide",
        "{r.event.group.name} asks you to promote “{r.event.title}”", "event.group",
        accept_label="Promote it", accepted="Promoted: it is in your calendar.",
    ),
    "cohosting": RequestKind(
        CoHostInvitation, "group", ("event__group", "group"),
        coalitions.event_cohost_decide, "invitation", "groups:cohosting_decide",
        "{r.event.group.name} invites you to co-host “{r.event.title}”", "event.group",
        accept_label="Co-host it", accepted="You co-host it now.", accepted_goes_to_event=True,
    ),
    "network": RequestKind(
        NetworkRequest, "child", ("parent", "child"),
        coalitions.network_request_decide, "request", "groups:network_request_decide",
        "{r.parent.name} asks you to join its network", "parent",
        accept_label="Join the network", accepted="Joined the network.",
    ),
}  # fmt: skip


def _request_get(request, slug: str, pk: int, kind: RequestKind, *, related=()):
    return group_request_get_for_organiser(
        user=request.user,
        slug=slug,
        model=kind.model.objects.select_related(*related),
        pk=pk,
        field=kind.asked,
    )


@login_required
def coalition_request_detail(request, slug, pk, kind):
    """The page a request's email opens: accept or decline (POST to coalition_request_decide)."""
    kind = REQUEST_KINDS[kind]
    asked = _request_get(request, slug, pk, kind, related=kind.related)
    return render(
        request,
        "groups/coalition_request.html",
        {
            "group": getattr(asked, kind.asked),
            "request_obj": asked,
            "is_open": asked.is_open,
            "heading": kind.heading.format(r=asked),
            "asker": attrgetter(kind.asker)(asked),
            "event": getattr(asked, "event", None),
            "decide_url": reverse(kind.decide_url, args=[slug, pk]),
            "accept_label": kind.accept_label,
        },
    )


@login_required
@require_POST
def coalition_request_decide(request, slug, pk, kind):
    kind = REQUEST_KINDS[kind]
    asked = _request_get(request, slug, pk, kind)
    accept = request.POST.get("decision") == "accept"
    try:
        decided = kind.decide(**{kind.argument: asked}, accept=accept, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if decided:
            messages.success(request, kind.accepted if accept else "Declined.")
    if accept and kind.accepted_goes_to_event:
        return redirect(asked.event)
    return redirect(getattr(asked, kind.asked))

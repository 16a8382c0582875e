"""Priority mapping pages. Each view: an access check (permissions.py), a form, one service or
one read (boards.py), a render."""

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Value
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from alliance.exports import csv_response
from alliance.ratelimit import client_ip, rate_limit_exceeded
from groups.models import Group, Party
from groups.permissions import group_get_for_organiser, user_is_organiser, user_staff_party_ids
from priorities import boards, cards, live, regions, services
from priorities.codes import code_clean, code_display
from priorities.forms import (
    ClusterCreateForm,
    DotForm,
    EndorseGroupForm,
    EndorsePartyForm,
    JoinCodeForm,
    JoinForm,
    MergeForm,
    MoveForm,
    NoteForm,
    RenameForm,
    RoundForm,
    SplitForm,
    StatementForm,
)
from priorities.models import Endorsement, Note, Round, Statement
from priorities.permissions import (
    group_get_for_endorsing,
    note_get_for_organiser,
    participant_for,
    participant_get_for_round,
    party_get_for_endorsing,
    round_get_for_clustering,
    round_get_for_organiser,
    round_get_for_participant,
    round_get_for_results,
    session_participant_remember,
    statement_get,
)
from seats.regions import Region

# Join attempts per address per 10 minutes: a whole meeting behind one wifi router fits
# (each phone makes two or three), a code-guesser gets nowhere in 31**8 codes.
JOIN_ATTEMPTS_PER_10_MINUTES = 200
NOTES_PER_MINUTE = 10
DOTS_PER_MINUTE = 30


def _is_fetch(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        or request.headers.get("X-Requested-With") == "fetch"
    )


def _too_many(request, *, htmx_text: str = "Too many requests; wait a moment.") -> HttpResponse:
    if _is_fetch(request):
        return HttpResponse(htmx_text, status=429, content_type="text/plain")
    return render(request, "429.html", status=429)


def index(request):
    context = {
        "statements": Statement.objects.with_endorsement_count()[:20],
        "rounds": Round.objects.organised_by(request.user).select_related("group")[:20],
        "groups": Group.objects.organised_by(request.user).order_by("name"),
        "code_form": JoinCodeForm(),
        "regions": Region.choices,
    }
    return render(request, "priorities/index.html", context)


def join(request):
    form = JoinCodeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("priorities:join_code", code=form.cleaned_data["code"])
    return render(request, "priorities/join_code.html", {"form": form})


@never_cache
def join_code(request, code):
    if rate_limit_exceeded(
        scope="priorities-join",
        key=client_ip(request),
        limit=JOIN_ATTEMPTS_PER_10_MINUTES,
        period_seconds=600,
    ):
        return _too_many(request)
    round_ = Round.objects.by_code(code_clean(code)).select_related("group").first()
    if round_ is None:
        form = JoinCodeForm(initial={"code": code_clean(code)})
        return render(
            request, "priorities/join_code.html", {"form": form, "unknown": True}, status=404
        )
    if participant_for(request, round_) is not None:
        return redirect(round_)
    initial = {"name": request.user.display_name} if request.user.is_authenticated else {}
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.participant_join(
                round_=round_, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            session_participant_remember(request, participant)
            return redirect(round_)
    return render(request, "priorities/join.html", {"form": form, "round": round_})


@login_required
def round_create(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = RoundForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_open(group=group, opened_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Round open. Join code: {code_display(round_.code)}")
            return redirect(round_)
    return render(request, "priorities/round_form.html", {"form": form, "group": group})


def _round_page(request, round_, participant, is_organiser, *, note_form=None, status=200):
    my_notes = list(participant.notes.all()) if participant else []
    context = {
        "round": round_,
        "participant": participant,
        "is_organiser": is_organiser,
        "my_notes": my_notes,
        "notes_left": max(0, round_.notes_per_participant - len(my_notes)),
        "note_form": note_form or NoteForm(),
        "code": code_display(round_.code),
        **_vote_context(round_, participant),
    }
    return render(request, "priorities/round_detail.html", context, status=status)


def _vote_context(round_, participant) -> dict:
    version = live.clusters_version(round_.pk)
    clusters = list(  # each with this participant's dots on it, in one query
        round_.clusters.annotate(
            my_dots=Count("dots", filter=Q(dots__participant=participant))
            if participant
            else Value(0)
        )
    )
    spent = sum(cluster.my_dots for cluster in clusters)
    return {
        "clusters_version": version,
        "vote_clusters": clusters,
        "dots_left": max(0, round_.dots_per_participant - spent),
        "dots_spent": spent,
    }


@never_cache
def round_detail(request, pk):
    round_, participant, is_organiser = round_get_for_participant(request=request, pk=pk)
    return _round_page(request, round_, participant, is_organiser)


def _unchanged(request, version: str) -> bool:
    """The poller already shows this version: answer 204 and htmx swaps nothing."""
    return request.GET.get("v") == version


@never_cache
def vote_panel(request, pk):
    round_, participant, _ = round_get_for_participant(request=request, pk=pk)
    if _unchanged(request, live.clusters_version(round_.pk)):
        return HttpResponse(status=204)
    return render(
        request,
        "priorities/_vote_panel.html",
        {"round": round_, "participant": participant, **_vote_context(round_, participant)},
    )


@require_POST
def note_add(request, pk):
    participant = participant_get_for_round(request=request, pk=pk)
    round_ = participant.round
    if rate_limit_exceeded(
        scope="priorities-note", key=str(participant.pk), limit=NOTES_PER_MINUTE, period_seconds=60
    ):
        return _too_many(request)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(participant=participant, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, "Note added.")
            return redirect(round_)
    is_organiser = round_get_for_participant(request=request, pk=pk)[2]
    return _round_page(request, round_, participant, is_organiser, note_form=form, status=400)


def _dot_view(request, pk, service):
    participant = participant_get_for_round(request=request, pk=pk)
    round_ = participant.round
    if rate_limit_exceeded(
        scope="priorities-dot", key=str(participant.pk), limit=DOTS_PER_MINUTE, period_seconds=60
    ):
        return _too_many(request)
    form = DotForm(request.POST, round_=round_)
    error = None
    if not form.is_valid():
        error = "Pick a cluster of this round."
    else:
        try:
            service(participant=participant, cluster=form.cleaned_data["cluster"])
        except ValidationError as problem:
            error = " ".join(problem.messages)
    if _is_fetch(request):
        context = {"round": round_, "participant": participant, "vote_error": error}
        return render(
            request,
            "priorities/_vote_panel.html",
            {**context, **_vote_context(round_, participant)},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect(reverse("priorities:round", kwargs={"pk": round_.pk}) + "#vote")


@require_POST
def dot_add(request, pk):
    return _dot_view(request, pk, services.dot_add)


@require_POST
def dot_remove(request, pk):
    return _dot_view(request, pk, services.dot_remove)


@require_POST
def participant_leave(request, pk):
    """Erase my participation: my notes, my dots, my name and party."""
    participant = participant_get_for_round(request=request, pk=pk)
    services.participant_erase(participant=participant)
    messages.success(request, "Your notes, dots, name and party have been erased from this round.")
    return redirect("priorities:index")


# --- The board ---------------------------------------------------------------------------


# The CSRF token in a cached board: replaced by this request's own token on the way out.
CSRF_PLACEHOLDER = "csrf-placeholder-0f6c2d7e9b1a4c35a8e2d94b7f10c6e3"


def _board_fragment(request, round_, is_organiser, *, version, csrf_token, **extra) -> str:
    """templates/priorities/_board.html, the part of the board the poller redraws."""
    board = boards.board_context(round_, version=version)
    context = {
        "round": round_,
        "is_organiser": is_organiser,
        **board,
        "unplaced_cards": cards.note_cards(
            board["unplaced"],
            is_organiser=is_organiser,
            move_url=reverse("priorities:move", kwargs={"pk": round_.pk}),
            create_url=reverse("priorities:cluster_create", kwargs={"pk": round_.pk}),
            csrf_token=csrf_token,
        ),
        "cluster_columns": cards.cluster_columns(
            board["board_clusters"],
            is_organiser=is_organiser,
            split_url=reverse("priorities:split", kwargs={"pk": round_.pk}),
            rename_url=reverse("priorities:rename", kwargs={"pk": round_.pk}),
            csrf_token=csrf_token,
        ),
        "note_options": cards.note_options(board["notes"]),
        "cluster_options": cards.cluster_options(board["clusters"]),
        "merge_target_options": cards.cluster_options(board["clusters"], selected_index=1),
        "csrf_token": csrf_token,
        **extra,
    }
    return render_to_string("priorities/_board.html", context, request=request)


def _board_html(request, round_, is_organiser, **extra) -> SafeString:
    """The board's live part. Rendered once per round version (and organiser or not) for
    everyone looking at the board; an answer with an error in it is rendered on its own."""
    if extra:
        return mark_safe(
            _board_fragment(
                request,
                round_,
                is_organiser,
                version=None,
                csrf_token=get_token(request),
                **extra,
            )
        )
    version = live.round_version(round_.pk)  # before anything is read
    html = live.cached_render(
        f"board:{round_.pk}:{int(is_organiser)}",
        version,
        lambda: _board_fragment(
            request, round_, is_organiser, version=version, csrf_token=CSRF_PLACEHOLDER
        ),
    )
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def _board_render(request, round_, is_organiser, *, status=200, partial=False, **extra):
    board_html = _board_html(request, round_, is_organiser, **extra)
    if partial:
        return HttpResponse(board_html, status=status)
    context = {"round": round_, "board_html": board_html}
    return render(request, "priorities/board.html", context, status=status)


@never_cache
def board(request, pk):
    round_, is_organiser = round_get_for_clustering(request=request, pk=pk)
    return _board_render(request, round_, is_organiser)


@never_cache
def board_live(request, pk):
    round_, is_organiser = round_get_for_clustering(request=request, pk=pk)
    if _unchanged(request, live.round_version(round_.pk)):
        return HttpResponse(status=204)
    return _board_render(request, round_, is_organiser, partial=True)


def _board_action(request, pk, form_class, action):
    """Run one clustering action; answer with the fresh board (fetch) or redirect (no JS).
    Errors re-render the board with the error above it."""
    round_, is_organiser = round_get_for_clustering(request=request, pk=pk)
    form = form_class(request.POST, round_=round_)
    error = None
    if form.is_valid():
        try:
            action(round_, form.cleaned_data)
        except ValidationError as problem:
            error = " ".join(problem.messages)
            form.add_error(None, problem)
    else:
        error = "; ".join(
            f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in form.errors.items()
        )
    if _is_fetch(request):
        if error:
            return _board_render(
                request, round_, is_organiser, partial=True, status=400, board_error=error
            )
        return _board_render(request, round_, is_organiser, partial=True)
    if error:
        return _board_render(request, round_, is_organiser, status=400, board_error=error)
    return redirect("priorities:board", pk=round_.pk)


@require_POST
def cluster_create(request, pk):
    return _board_action(
        request,
        pk,
        ClusterCreateForm,
        lambda round_, data: services.cluster_create(
            round_=round_, name=data["name"], note_ids=[n.pk for n in data["notes"]]
        ),
    )


@require_POST
def note_move(request, pk):
    return _board_action(
        request,
        pk,
        MoveForm,
        lambda round_, data: services.note_move(note=data["note"], cluster=data["cluster"]),
    )


@require_POST
def cluster_merge(request, pk):
    return _board_action(
        request,
        pk,
        MergeForm,
        lambda round_, data: services.cluster_merge(source=data["source"], target=data["target"]),
    )


@require_POST
def cluster_split(request, pk):
    return _board_action(
        request,
        pk,
        SplitForm,
        lambda round_, data: services.cluster_split(
            cluster=data["cluster"], note_ids=[n.pk for n in data["notes"]], name=data["name"]
        ),
    )


@require_POST
def cluster_rename(request, pk):
    return _board_action(
        request,
        pk,
        RenameForm,
        lambda round_, data: services.cluster_rename(cluster=data["cluster"], name=data["name"]),
    )


@login_required
@require_POST
def note_hide(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    note = note_get_for_organiser(user=request.user, round_=round_, pk=request.POST.get("note"))
    hidden = request.POST.get("hidden") == "1"
    services.note_set_hidden(note=note, hidden=hidden)
    if _is_fetch(request):
        return _board_render(request, round_, True, partial=True)
    messages.success(request, "Note hidden." if hidden else "Note shown again.")
    return redirect("priorities:board", pk=round_.pk)


# --- Projector, QR, close ------------------------------------------------------------------


@login_required
@never_cache
def projector(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    join_url = request.build_absolute_uri(
        reverse("priorities:join_code", kwargs={"code": round_.code})
    )
    context = {
        "round": round_,
        "code": code_display(round_.code),
        "join_url": join_url,
        "projector_html": _projector_html(request, round_),
    }
    return render(request, "priorities/projector.html", context)


def _projector_html(request, round_) -> SafeString:
    """The projector's live part, rendered once per round version for every projector."""
    version = live.round_version(round_.pk)  # before anything is read
    return mark_safe(
        live.cached_render(
            f"projector:{round_.pk}",
            version,
            lambda: render_to_string(
                "priorities/_projector_live.html",
                {"round": round_, **boards.projector_context(round_, version=version)},
                request=request,
            ),
        )
    )


@login_required
@never_cache
def projector_live(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    if _unchanged(request, live.round_version(round_.pk)):
        return HttpResponse(status=204)
    return HttpResponse(_projector_html(request, round_))


@login_required
def join_qr(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    url = request.build_absolute_uri(reverse("priorities:join_code", kwargs={"code": round_.code}))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=20, border=2)
    response = HttpResponse(image.to_string(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def round_close(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    services.round_close(round_=round_)
    messages.success(request, "Round closed: the code no longer works. Here are the results.")
    return redirect("priorities:results", pk=round_.pk)


# --- Results -----------------------------------------------------------------------------


def results(request, pk):
    round_ = round_get_for_results(request=request, pk=pk)
    order = request.GET.get("order", "dots")
    is_organiser = user_is_organiser(user=request.user, group=round_.group)
    context = {
        "round": round_,
        "is_organiser": is_organiser,
        "statement": Statement.objects.filter(round=round_).first(),
        **boards.results_context(round_, order=order),
    }
    return render(request, "priorities/results.html", context)


@login_required
def results_csv(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    response, writer = csv_response(f"priorities-round-{round_.pk}.csv")  # every cell defused
    writer.writerow(
        ["rank", "cluster", "notes", "dots", "effective_parties", "across_parties", "by_party"]
    )
    for rank, row in enumerate(boards.results_rows(round_), start=1):
        breakdown = "; ".join(f"{party} {count}" for party, count in row.breakdown)
        writer.writerow(
            [
                rank,
                row.name,
                row.notes,
                row.dots,
                row.effective_parties,
                row.across_parties,
                breakdown,
            ]
        )
    writer.writerow([])
    writer.writerow(["cluster", "note", "party", "author (only if they agreed to be named)"])
    notes = (
        Note.objects.visible()
        .filter(round=round_)
        .select_related("cluster", "participant", "participant__party")
        .order_by("cluster__name", "pk")
    )
    for note in notes:
        participant = note.participant
        writer.writerow(
            [
                note.cluster.name if note.cluster else "(unplaced)",
                note.text,
                participant.party.short_name if participant.party else "",
                participant.name if participant.agreed_to_be_named else "",
            ]
        )
    return response


# --- Statements and endorsements --------------------------------------------------------


@login_required
def statement_create(request, pk):
    round_ = round_get_for_organiser(user=request.user, pk=pk)
    existing = Statement.objects.filter(round=round_).first()
    if existing:
        return redirect(existing)
    form = StatementForm(
        request.POST or None, initial={"title": f"Shared priorities: {round_.title}"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            statement = services.statement_create(
                round_=round_, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Published. Groups and parties can now endorse it.")
            return redirect(statement)
    return render(request, "priorities/statement_form.html", {"form": form, "round": round_})


def statement_detail(request, pk):
    statement = statement_get(pk=pk)
    round_ = statement.round
    endorsements = list(
        Endorsement.objects.filter(statement=statement).select_related("group", "party")
    )
    endorsed_groups = {e.group_id for e in endorsements if e.group_id}
    endorsed_parties = {e.party_id for e in endorsements if e.party_id}
    can_endorse_groups = [
        g for g in Group.objects.organised_by(request.user).order_by("name")
        if g.pk not in endorsed_groups
    ]  # fmt: skip
    can_endorse_parties = [
        p for p in Party.objects.filter(pk__in=user_staff_party_ids(request.user))
        if p.pk not in endorsed_parties
    ]  # fmt: skip
    context = {
        "statement": statement,
        "round": round_,
        "linked_groups": list(round_.linked_groups.all()),
        "endorsements": endorsements,
        "can_endorse_groups": can_endorse_groups,
        "can_endorse_parties": can_endorse_parties,
        "seats": list(statement.constituencies.all()),
        **boards.results_context(round_),
    }
    return render(request, "priorities/statement_detail.html", context)


@login_required
@require_POST
def endorse_group(request, pk):
    statement = statement_get(pk=pk)
    form = EndorseGroupForm(request.POST)
    group = group_get_for_endorsing(
        user=request.user, slug=form.data.get("group", "") if form.is_valid() else ""
    )
    services.statement_endorse(statement=statement, user=request.user, group=group)
    messages.success(request, f"{group.name} endorses these priorities.")
    return redirect(statement)


@login_required
@require_POST
def endorse_party(request, pk):
    statement = statement_get(pk=pk)
    form = EndorsePartyForm(request.POST)
    party = party_get_for_endorsing(
        user=request.user, party_id=form.cleaned_data["party"] if form.is_valid() else None
    )
    services.statement_endorse(statement=statement, user=request.user, party=party)
    messages.success(request, f"{party.name} endorses these priorities.")
    return redirect(statement)


def region(request, code):
    if code not in Region.values:
        raise Http404("No such region.")
    context = {"region_name": Region(code).label, **regions.region_context(code)}
    return render(request, "priorities/region.html", context)

"""Open primary pages: staff set-up, the public page, registration, the ballot, the result."""

import csv
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.exports import csv_cell
from alliance.forms import form_errors_add
from alliance.images import image_content_type
from alliance.ratelimit import client_ip, rate_limit_exceeded
from groups.models import Party
from primaries import charts, services
from primaries.forms import (
    BallotForm,
    CandidateForm,
    PartyChoiceForm,
    PostcodeForm,
    ReceiptForm,
    RegisterForm,
    ReviewForm,
    RulesForm,
)
from primaries.models import Candidate, CountingMethod, Electorate, Phase, Voter
from primaries.permissions import (
    BEFORE_VOTING,
    SETUP_PHASES,
    agreement_get_for_primary_staff,
    candidate_get_for_photo,
    primaries_public,
    primary_get_public,
    registration_check_open,
    result_check_visible,
)

# --- Set-up by the parties' staff ------------------------------------------------------------


def _staff_context(request, agreement_pk: int):
    agreement, mine = agreement_get_for_primary_staff(user=request.user, agreement_pk=agreement_pk)
    primary = services.primary_for_agreement(agreement=agreement)
    return agreement, Party.objects.filter(pk__in=mine).order_by("name"), primary


def _setup_render(request, agreement, parties, primary, *, status=200, **forms):
    phase = primary.phase()
    candidates = list(primary.candidates.select_related("party"))
    by_party = {c.party_id: c for c in candidates}
    mine = list(parties)
    first_own = next((by_party[p.pk] for p in mine if p.pk in by_party), None)
    candidate_initial = (
        {
            "party": first_own.party_id,
            "name": first_own.name,
            "statement": first_own.statement,
            "red_lines": first_own.red_lines,
        }
        if first_own
        else {}
    )
    accepted = {a.party_id: a for a in primary.acceptances.select_related("accepted_by")}
    context = {
        "agreement": agreement,
        "primary": primary,
        "phase": phase,
        "candidates": candidates,
        "party_rows": [
            {
                "party": ap.party,
                "candidate": by_party.get(ap.party_id),
                "accepted": accepted.get(ap.party_id),
            }
            for ap in agreement.parties.select_related("party").order_by("party__name")
        ],
        "rules_editable": phase in SETUP_PHASES,
        "candidates_editable": phase in BEFORE_VOTING,
        "rules_form": forms.get("rules_form") or RulesForm.for_primary(primary),
        "candidate_form": forms.get("candidate_form")
        or CandidateForm(parties=parties, initial=candidate_initial, prefix="candidate"),
        "accept_form": forms.get("accept_form")
        or PartyChoiceForm(parties=parties, prefix="accept"),
        "history": primary.history.select_related("actor"),
    }
    return render(request, "primaries/primary_setup.html", context, status=status)


@login_required
@require_GET
def setup(request, agreement_pk):
    agreement, parties, primary = _staff_context(request, agreement_pk)
    return _setup_render(request, agreement, parties, primary)


@login_required
@require_POST
def rules(request, agreement_pk):
    agreement, parties, primary = _staff_context(request, agreement_pk)
    form = RulesForm(request.POST, prefix="rules")
    if form.is_valid():
        try:
            services.primary_rules_set(primary=primary, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, str(error) if isinstance(error, PermissionDenied) else error)
        else:
            messages.success(request, "Rules saved. Every party must now accept them.")
            return redirect("primaries:setup", agreement_pk=agreement.pk)
    return _setup_render(request, agreement, parties, primary, rules_form=form, status=400)


@login_required
@require_POST
def candidate(request, agreement_pk):
    agreement, parties, primary = _staff_context(request, agreement_pk)
    form = CandidateForm(request.POST, request.FILES, parties=parties, prefix="candidate")
    if form.is_valid():
        try:
            services.candidate_save(primary=primary, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, str(error) if isinstance(error, PermissionDenied) else error)
        else:
            messages.success(request, "Candidate saved. Every party must now accept again.")
            return redirect("primaries:setup", agreement_pk=agreement.pk)
    return _setup_render(request, agreement, parties, primary, candidate_form=form, status=400)


@require_GET
def candidate_photo(request, pk, name):
    """A candidate's photo, to those who may see the candidate, with the type of its decoded
    format and the headers petition images are served with."""
    candidate = candidate_get_for_photo(user=request.user, pk=pk)
    stored = candidate.photo.name if candidate.photo else ""
    content_type = image_content_type(stored)
    if content_type is None or PurePosixPath(stored).name != name:
        raise Http404("No such photo.")
    try:
        file = candidate.photo.storage.open(stored, "rb")
    except FileNotFoundError:
        raise Http404("No such photo.")
    response = FileResponse(file, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-site"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def accept(request, agreement_pk):
    agreement, parties, primary = _staff_context(request, agreement_pk)
    form = PartyChoiceForm(request.POST, parties=parties, prefix="accept")
    if form.is_valid():
        try:
            services.primary_accept(
                primary=primary, user=request.user, party=form.cleaned_data["party"]
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, str(error) if isinstance(error, PermissionDenied) else error)
        else:
            messages.success(request, f"Accepted for {form.cleaned_data['party'].name}.")
            return redirect("primaries:setup", agreement_pk=agreement.pk)
    return _setup_render(request, agreement, parties, primary, accept_form=form, status=400)


@login_required
@require_GET
def roll(request, agreement_pk):
    """The roll for review: postcodes and masked addresses, held registrations first."""
    agreement, _parties, primary = _staff_context(request, agreement_pk)
    # "held" sorts before "registered": the ones that need a decision come first.
    voters = list(primary.roll.for_review().order_by("status", "created_at", "pk"))
    return render(
        request,
        "primaries/roll.html",
        {
            "agreement": agreement,
            "primary": primary,
            "voters": voters,
            "reviewable": primary.phase() in BEFORE_VOTING,
            "form": ReviewForm(),
        },
    )


@login_required
@require_POST
def review(request, agreement_pk, voter_pk):
    agreement, _parties, primary = _staff_context(request, agreement_pk)
    voter = get_object_or_404(Voter, pk=voter_pk, primary=primary)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or strike off.")
        return redirect("primaries:roll", agreement_pk=agreement.pk)
    try:
        services.voter_review(
            primary=primary,
            voter=voter,
            user=request.user,
            strike=form.cleaned_data["decision"] == "strike",
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        outcome = "struck off" if form.cleaned_data["decision"] == "strike" else "approved"
        messages.success(request, f"The registration of {voter.email} is {outcome}.")
    return redirect("primaries:roll", agreement_pk=agreement.pk)


# --- Public ------------------------------------------------------------------------------


def _public_context(primary, **extra) -> dict:
    return {
        "primary": primary,
        "phase": primary.phase(),
        "candidates": list(primary.candidates.select_related("party")),
        "members_only": primary.electorate == Electorate.MEMBERS,
        "ranked": primary.counting_method == CountingMethod.INSTANT_RUNOFF,
        **extra,
    }


@require_GET
def index(request):
    """Every published primary: those to come or under way first (the soonest close of
    voting first), then the results (the latest first). Primaries still being set up by the
    parties are not listed."""
    now = timezone.now()
    under_way, declared = [], []
    candidates = Prefetch("candidates", queryset=Candidate.objects.select_related("party"))
    for primary in primaries_public().prefetch_related(candidates):  # two queries in all
        phase = primary.phase(now)
        (declared if phase == Phase.COUNTED else under_way).append((primary, phase))
    under_way.sort(key=lambda row: (row[0].voting_closes_at or now, row[0].pk))
    declared.sort(key=lambda row: (row[0].counted_at or now, row[0].pk), reverse=True)
    return render(request, "primaries/index.html", {"under_way": under_way, "declared": declared})


@require_GET
def detail(request, pk):
    primary = primary_get_public(pk=pk)
    return render(
        request,
        "primaries/primary_detail.html",
        _public_context(primary, postcode_form=PostcodeForm(), receipt_form=ReceiptForm()),
    )


def _limited(request, scope: str) -> bool:
    return rate_limit_exceeded(
        scope=scope,
        key=client_ip(request),
        limit=settings.PRIMARIES_REGISTER_LIMIT_PER_IP,
        period_seconds=settings.PRIMARIES_REGISTER_LIMIT_PERIOD_SECONDS,
    )


@require_GET
def can_i_vote(request, pk):
    """Postcode in, yes / no / a person will check, and why; before registration too."""
    primary = primary_get_public(pk=pk)
    form = PostcodeForm(request.GET or None)
    answer = None
    if form.is_valid():
        if _limited(request, "primary-can-i-vote"):
            return render(request, "429.html", status=429)
        answer = services.can_i_vote(primary=primary, postcode=form.cleaned_data["postcode"])
    return render(
        request,
        "primaries/can_i_vote.html",
        _public_context(primary, postcode_form=form, answer=answer),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def register(request, pk):
    primary = primary_get_public(pk=pk)
    members_only = primary.electorate == Electorate.MEMBERS
    form = RegisterForm(request.POST or None, members_only=members_only)
    closed_reason = None
    try:
        registration_check_open(primary=primary)
    except PermissionDenied as error:
        closed_reason = str(error)
    if request.method == "POST" and closed_reason is None and form.is_valid():
        if _limited(request, "primary-register"):
            return render(request, "429.html", status=429)
        try:
            services.voter_register(
                primary=primary,
                email=form.cleaned_data["email"],
                postcode=form.cleaned_data["postcode"],
                declared_member=form.cleaned_data.get("declared_member", False),
            )
        except ValidationError as error:
            form_errors_add(form, error)
        except PermissionDenied as error:
            closed_reason = str(error)
        else:
            return redirect("primaries:registered", pk=primary.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "primaries/register.html",
        _public_context(primary, form=form, closed_reason=closed_reason),
        status=status,
    )


@require_GET
def registered(request, pk):
    primary = primary_get_public(pk=pk)
    return render(request, "primaries/registered.html", _public_context(primary))


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button (mail scanners follow links); POST confirms."""
    voter = services.voter_for_confirm_token(token)
    if voter is None:
        raise Http404("This link is not valid.")
    done, problem = False, None
    if request.method == "POST":
        try:
            voter = services.voter_confirm(token=token)
            done = True
        except PermissionDenied as error:
            problem = str(error)
    return render(
        request,
        "primaries/confirm.html",
        {"voter": voter, "primary": voter.primary, "done": done, "problem": problem},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def vote(request, token):
    paper = services.ballot_paper(token=token)
    if paper is None:
        raise Http404("This ballot link is not valid.")
    primary = paper.primary
    candidates = list(primary.candidates.select_related("party"))
    ranked = primary.counting_method == CountingMethod.INSTANT_RUNOFF
    form = BallotForm(request.POST or None, candidates=candidates, ranked=ranked)
    problem = None
    if paper.voted:
        problem = "A ballot has already been cast with this link. You can vote only once."
    elif primary.phase() != Phase.VOTING:
        problem = (
            "Voting has not opened yet."
            if primary.phase() in BEFORE_VOTING
            else "Voting has closed."
        )
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            receipt = services.ballot_cast(token=token, ranking=form.ranking())
        except PermissionDenied as error:
            problem = str(error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "primaries/voted.html", {"primary": primary, "receipt": receipt})
    status = 400 if request.method == "POST" else 200
    if problem and request.method == "POST":
        status = 403
    return render(
        request,
        "primaries/vote.html",
        {
            "primary": primary,
            "form": form,
            "problem": problem,
            "ranked": ranked,
            "candidates_with_photos": [c for c in candidates if c.photo],
        },
        status=status,
    )


@require_GET
def receipt(request, pk):
    primary = primary_get_public(pk=pk)
    form = ReceiptForm(request.GET or None)
    found = None
    if form.is_valid():
        if _limited(request, "primary-receipt"):
            return render(request, "429.html", status=429)
        found = services.receipt_is_counted(primary=primary, code=form.cleaned_data["code"])
    return render(
        request, "primaries/receipt.html", _public_context(primary, receipt_form=form, found=found)
    )


@require_GET
def result(request, pk):
    primary = primary_get_public(pk=pk)
    try:
        result_check_visible(primary=primary)
    except PermissionDenied:
        return render(
            request, "primaries/result_pending.html", _public_context(primary), status=403
        )
    rounds = primary.result["rounds"]
    return render(
        request,
        "primaries/result.html",
        _public_context(
            primary,
            rounds=zip(rounds, charts.round_charts(rounds), strict=True),
            turnout_chart=charts.turnout_chart(
                ballots=primary.ballot_count, registered=primary.registered_count
            ),
            turnout=(
                round(100 * primary.ballot_count / primary.registered_count, 1)
                if primary.registered_count
                else None
            ),
        ),
    )


class _Echo:
    def write(self, value):
        return value


@require_GET
def ballots_csv(request, pk):
    primary = primary_get_public(pk=pk)
    result_check_visible(primary=primary)
    writer = csv.writer(_Echo())
    rows = (
        writer.writerow([csv_cell(cell) for cell in row])
        for row in services.ballots_csv_rows(primary=primary)
    )
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="primary-{primary.pk}-ballots.csv"'
    return response

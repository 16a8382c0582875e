"""Thin views: parse with a form, check access in conversations/permissions.py, call one
service or queryset, render. Bad input re-renders the page with the message (status 400)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alliance.ratelimit import rate_limit_exceeded
from conversations import permissions, services
from conversations.forms import (
    AnswerForm,
    ConversationForm,
    DigestForm,
    EmailModeForm,
    InviteForm,
    OutcomeForm,
    PollVoteForm,
    PostForm,
    ProposalForm,
    RankedPollForm,
    RankingForm,
    TimePollForm,
)
from conversations.fragments import conversation_page
from conversations.models import (
    Answer,
    Conversation,
    DigestSubscription,
    PollVote,
    RankedBallot,
    ScopeKind,
)
from seats.models import Constituency


def _too_many(request, *, scope: str, limit: int, period: int = 3600) -> bool:
    """Posting limits per account (a compromised or angry account cannot flood anyone)."""
    if rate_limit_exceeded(
        scope=f"conversations-{scope}", key=str(request.user.pk), limit=limit, period_seconds=period
    ):
        messages.error(request, "You have posted a lot recently. Please wait a while.")
        return True
    return False


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def conversation_list(request):
    conversations = (
        Conversation.objects.visible_to(request.user).select_related("constituency").recent_first()
    )
    page = Paginator(conversations, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "conversations/conversation_list.html",
        {"page": page, "can_open": permissions.user_can_open_conversations(request.user)},
    )


def _prefill(request) -> tuple[dict, str]:
    """Initial values from ?seat=, ?clash=, ?agreement= links on other pages."""
    initial: dict = {}
    about = ""
    if seat_id := request.GET.get("seat", "").strip():
        seat = Constituency.objects.filter(pk=seat_id if seat_id.isdigit() else 0).first()
        if seat:
            initial.update(scope_kind=ScopeKind.SEAT, constituency=seat.pk, region=seat.region)
            initial["title"] = f"Working together in {seat.name}"
            about = seat.name
    if clash_id := request.GET.get("clash", "").strip():
        clash = permissions.clash_get_for_opener(
            user=request.user, clash_id=int(clash_id) if clash_id.isdigit() else 0
        )
        a, b = clash.shown_a, clash.shown_b
        title_a, title_b = (getattr(e, "title", "an event") for e in (a, b))
        initial.update(
            scope_kind=ScopeKind.CLASH,
            clash=clash.pk,
            constituency=getattr(a, "constituency_id", None) or getattr(b, "constituency_id", None),
            title=f"Clash: {title_a} and {title_b}",
            groups=[g.pk for g in (a.group, b.group)],
            body=(
                f"Our events “{title_a}” ({a.group.name}) and “{title_b}” ({b.group.name}) "
                "are on at the same time. Shall we merge, move one, or split the area?"
            ),
        )
        about = initial["title"]
    if agreement_id := request.GET.get("agreement", "").strip():
        agreement = permissions.agreement_get_for_opener(
            user=request.user, pk=int(agreement_id) if agreement_id.isdigit() else 0
        )
        initial.update(
            scope_kind=ScopeKind.AGREEMENT,
            agreement=agreement.pk,
            constituency=agreement.constituency_id,
            title=f"Negotiating: {agreement}",
            parties=list(agreement.parties.values_list("party_id", flat=True)),
        )
        about = str(agreement)
    return initial, about


@login_required
def conversation_create(request):
    permissions.conversation_opener_required(request.user)
    initial, about = _prefill(request)
    form = ConversationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agreement = clash_id = None
        if data["agreement"]:
            agreement = permissions.agreement_get_for_opener(
                user=request.user, pk=data["agreement"]
            )
        if data["clash"]:
            clash_id = permissions.clash_get_for_opener(
                user=request.user, clash_id=data["clash"]
            ).pk
        if _too_many(request, scope="open", limit=20):
            return render(
                request, "conversations/conversation_form.html", {"form": form}, status=429
            )
        try:
            conversation = services.conversation_open(
                author=request.user,
                title=data["title"],
                scope_kind=data["scope_kind"],
                body=data["body"],
                visibility=data["visibility"],
                constituency=data["constituency"],
                region=data["region"] or "",
                agreement=agreement,
                clash_id=clash_id,
                groups=list(data["groups"]),
            )
            if data["groups"] or data["parties"]:
                services.conversation_invite(
                    conversation=conversation,
                    inviter=request.user,
                    groups=list(data["groups"]),
                    parties=list(data["parties"]),
                    include_members=data["include_members"],
                )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, "Conversation opened.")
            return redirect(conversation)
    return render(
        request,
        "conversations/conversation_form.html",
        {"form": form, "about": about},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def conversation_detail(request, pk):
    conversation, participant = permissions.conversation_get_for_viewer(user=request.user, pk=pk)
    return _detail(request, conversation, participant)


def _detail(request, conversation, participant, *, status=200, post_form=None):
    """The newest page of posts (or the one before ?before=<post id>). The main column is the
    same for every viewer of one kind and cached (fragments.py); what awaits this viewer's
    answer and their CSRF token are filled in."""
    before = request.GET.get("before", "")
    before = int(before) if before.isdigit() else None
    body_html = conversation_page(
        conversation=conversation,
        participant=participant,
        user=request.user,
        csrf_token=get_token(request),
        before=before,
        post_form=post_form,
    )
    context = {"conversation": conversation, "body_html": body_html}
    return render(request, "conversations/conversation_detail.html", context, status=status)


@login_required
@require_POST
def post_create(request, pk):
    conversation, participant = permissions.conversation_get_for_participant(
        user=request.user, pk=pk
    )
    form = PostForm(request.POST)
    if form.is_valid():
        if _too_many(request, scope="post", limit=60):
            return _detail(request, conversation, participant, status=429, post_form=form)
        try:
            services.post_create(
                conversation=conversation, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            return redirect(f"{conversation.get_absolute_url()}#latest")
    return _detail(request, conversation, participant, status=400, post_form=form)


def _form_page(request, template, conversation, form, *, status=None):
    """A conversation's form on a page of its own (GET shows it; a bad POST shows it again
    with what was typed): the conversation page stays light."""
    if status is None:
        status = 400 if request.method == "POST" else 200
    context = {"form": form, "conversation": conversation}
    return render(request, f"conversations/{template}", context, status=status)


@login_required
def conversation_invite(request, pk):
    conversation, _ = permissions.conversation_get_for_organiser(user=request.user, pk=pk)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _too_many(request, scope="invite", limit=20):
            return _form_page(request, "invite_form.html", conversation, form, status=429)
        try:
            added = services.conversation_invite(
                conversation=conversation,
                inviter=request.user,
                groups=list(form.cleaned_data["groups"]),
                parties=list(form.cleaned_data["parties"]),
                include_members=form.cleaned_data["include_members"],
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, f"Invited {len(added)} people.")
            return redirect(conversation)
    return _form_page(request, "invite_form.html", conversation, form)


@login_required
@require_POST
def email_mode_set(request, pk):
    conversation, participant = permissions.conversation_get_for_participant(
        user=request.user, pk=pk
    )
    form = EmailModeForm(request.POST)
    if form.is_valid():
        services.participant_email_mode_set(
            participant=participant, email_mode=form.cleaned_data["email_mode"]
        )
        messages.success(request, "Your email setting is saved.")
        return redirect(conversation)
    messages.error(request, "Choose one of the options.")
    return _detail(request, conversation, participant, status=400)


@login_required
@require_POST
def conversation_leave(request, pk):
    conversation, participant = permissions.conversation_get_for_participant(
        user=request.user, pk=pk
    )
    try:
        services.participant_leave(participant=participant)
    except ValidationError as error:
        _errors(request, error)
        return redirect(conversation)
    messages.success(request, "You have left the conversation.")
    return redirect("conversations:list")


@login_required
@require_POST
def conversation_close(request, pk):
    conversation, _ = permissions.conversation_get_for_organiser(user=request.user, pk=pk)
    services.conversation_close(conversation=conversation, user=request.user)
    messages.success(request, "The conversation is closed; everything said is kept.")
    return redirect(conversation)


def _proposal_form_view(request, pk, *, form_class, template: str):
    """GET shows the form, POST puts the proposal (or the time poll, whose form adds
    `options`, or the ranked-choice poll, whose form adds `ranked_options`): one flow for
    every kind, checked and rate-limited alike."""
    conversation, _ = permissions.conversation_get_for_participant(user=request.user, pk=pk)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _too_many(request, scope="proposal", limit=20):
            return _form_page(request, template, conversation, form, status=429)
        extra = {
            name: form.cleaned_data[name]
            for name in ("options", "ranked_options")
            if name in form.cleaned_data
        }
        try:
            proposal = services.proposal_create(
                conversation=conversation,
                proposer=request.user,
                statement=form.cleaned_data["statement"],
                details=form.cleaned_data["details"],
                deadline=form.cleaned_data["deadline"],
                **extra,
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            return redirect(proposal)
    return _form_page(request, template, conversation, form)


@login_required
def proposal_create(request, pk):
    return _proposal_form_view(request, pk, form_class=ProposalForm, template="proposal_form.html")


@login_required
def time_poll_create(request, pk):
    """ "When shall we meet?": GET shows the form, POST puts the poll."""
    return _proposal_form_view(request, pk, form_class=TimePollForm, template="time_poll_form.html")


@login_required
def ranked_poll_create(request, pk):
    """A ranked-choice poll: GET shows the form, POST puts the poll."""
    return _proposal_form_view(
        request, pk, form_class=RankedPollForm, template="ranked_poll_form.html"
    )


@login_required
@require_POST
def poll_vote(request, pk):
    """A time poll's yes / if need be / no per time, or a ranked-choice poll's ranking."""
    proposal = permissions.poll_get_for_vote(user=request.user, pk=pk)
    if proposal.is_ranked_poll:
        form = RankingForm(request.POST, options=proposal.ranked_options.all())
    else:
        form = PollVoteForm(request.POST, options=proposal.options.all())
    if form.is_valid():
        if _too_many(request, scope="answer", limit=60):
            return _proposal_page(request, proposal, None, status=429, vote_form=form)
        try:
            if proposal.is_ranked_poll:
                services.ranked_ballot_set(
                    proposal=proposal, user=request.user, ranking=form.ranking()
                )
            else:
                services.poll_votes_set(proposal=proposal, user=request.user, votes=form.votes())
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request, "Your answers are saved. You can change them until the deadline."
            )
            return redirect(proposal)
    _, participant = permissions.proposal_get_for_viewer(user=request.user, pk=pk)
    return _proposal_page(request, proposal, participant, status=400, vote_form=form)


def _proposal_page(
    request,
    proposal,
    participant,
    *,
    status=200,
    answer_form=None,
    outcome_form=None,
    vote_form=None,
):
    mine = None
    is_decision = not (proposal.is_time_poll or proposal.is_ranked_poll)
    if participant and is_decision:
        mine = Answer.objects.filter(proposal=proposal, user=request.user).first()
    if proposal.is_ranked_poll and vote_form is None and participant:
        ballot = RankedBallot.objects.filter(proposal=proposal, user=request.user).first()
        ranks = {pk: rank for rank, pk in enumerate(ballot.ranking, start=1)} if ballot else {}
        vote_form = RankingForm(
            options=proposal.ranked_options.all(),
            initial={f"rank-{pk}": rank for pk, rank in ranks.items()},
        )
    if proposal.is_time_poll:
        options = list(proposal.options.all())
        if vote_form is None and participant:
            mine_votes = dict(
                PollVote.objects.filter(option__proposal=proposal, user=request.user).values_list(
                    "option_id", "availability"
                )
            )
            vote_form = PollVoteForm(
                options=options,
                initial={f"option-{pk}": value for pk, value in mine_votes.items()},
            )
    context = {
        "slots": services.poll_tally(proposal) if proposal.is_time_poll else [],
        "vote_form": vote_form,
        "proposal": proposal,
        "conversation": proposal.conversation,
        "participant": participant,
        "ranked": services.ranked_poll_result(proposal) if proposal.is_ranked_poll else None,
        "tally": services.proposal_tally(proposal) if is_decision else [],
        "mine": mine,
        "answer_form": answer_form
        or AnswerForm(initial={"position": mine.position, "reason": mine.reason} if mine else None),
        "outcome_form": outcome_form or OutcomeForm(),
        "can_record_outcome": participant is not None
        and not proposal.is_open
        and proposal.outcome_at is None
        and (proposal.proposer_id == request.user.pk or participant.is_organiser),
    }
    return render(request, "conversations/proposal_detail.html", context, status=status)


@login_required
def proposal_detail(request, pk):
    proposal, participant = permissions.proposal_get_for_viewer(user=request.user, pk=pk)
    return _proposal_page(request, proposal, participant)


@login_required
@require_POST
def proposal_answer(request, pk):
    proposal = permissions.proposal_get_for_answer(user=request.user, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        if _too_many(request, scope="answer", limit=60):
            return _proposal_page(request, proposal, None, status=429, answer_form=form)
        try:
            services.answer_set(
                proposal=proposal,
                user=request.user,
                position=form.cleaned_data["position"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, "Your answer is saved. You can change it until the deadline.")
            return redirect(proposal)
    _, participant = permissions.proposal_get_for_viewer(user=request.user, pk=pk)
    return _proposal_page(request, proposal, participant, status=400, answer_form=form)


@login_required
@require_POST
def proposal_outcome(request, pk):
    proposal = permissions.proposal_get_for_outcome(user=request.user, pk=pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_outcome_record(
                proposal=proposal, user=request.user, outcome=form.cleaned_data["outcome"]
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, "The outcome is recorded and every participant is emailed.")
            return redirect(proposal)
    _, participant = permissions.proposal_get_for_viewer(user=request.user, pk=pk)
    return _proposal_page(request, proposal, participant, status=400, outcome_form=form)


@login_required
def digest_settings(request):
    subscription = DigestSubscription.objects.filter(user=request.user).first()
    form = DigestForm(
        request.POST if request.method == "POST" else None,
        initial={"weekly": bool(subscription and subscription.weekly)},
    )
    if request.method == "POST" and form.is_valid():
        services.digest_subscription_set(user=request.user, weekly=form.cleaned_data["weekly"])
        messages.success(request, "Your weekly digest setting is saved.")
        return redirect("conversations:digest")
    return render(request, "conversations/digest_settings.html", {"form": form})


def unsubscribe(request, token):
    """From the link in an email: no sign-in, the signed token says who and what. A GET only
    shows the button (mail scanners open links); the POST turns the emails off."""
    read = services.unsubscribe_token_read(token)
    if read is None:
        raise Http404("This link is not valid.")
    if request.method == "POST":
        what = services.unsubscribe_apply(token=token)
        return render(request, "conversations/unsubscribed.html", {"what": what})
    return render(request, "conversations/unsubscribe.html", {"digest": read[1] == "digest"})


# Exempt from CSRF on purpose: RFC 8058 one-click unsubscribe. A mail provider (Gmail, Yahoo,
# ...) POSTs "List-Unsubscribe=One-Click" to the URL in the List-Unsubscribe header, from its
# own servers, without cookies and so without a CSRF token. The signed token in the URL is the
# only credential (it names one person and one kind of email and cannot be forged), the view
# does nothing but turn those emails off (the one change a forged request could want to make
# is the one the token's holder asked for), and it never signs anyone in or shows anything.
# The link in the email's body goes to `unsubscribe` above, whose form is CSRF-protected.
@csrf_exempt
@require_POST
def unsubscribe_one_click(request, token):
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponseBadRequest("Expected List-Unsubscribe=One-Click.")
    if services.unsubscribe_apply(token=token) is None:
        raise Http404("This link is not valid.")
    return HttpResponse("Unsubscribed.", content_type="text/plain")


def dashboard(request):
    """The home page of a signed-in person (alliance.views.home hands over to this)."""
    from conversations.dashboard import dashboard_parts, groups_near

    postcode = request.GET.get("postcode", "").strip()[:12]
    context = {
        **dashboard_parts(user=request.user),
        "needs_name": not request.user.name,
        "postcode": postcode,
    }
    if context["newcomer"]:
        context.update(groups_near(postcode))
    return render(request, "conversations/dashboard.html", context)

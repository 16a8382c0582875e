"""Writes of conversations and proposals. Every email goes through the outbox with a key that
names it, so a task delivered twice, a beat run repeated or a double click never sends one
twice (see outbox/README.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from alliance.mail import header_safe
from conversations.dashboard import dashboards_expire
from conversations.fragments import (
    conversation_awaiting_expire,
    conversation_fragments_expire,
)
from conversations.models import (
    MAX_POST_CHARS,
    MAX_REASON_CHARS,
    Answer,
    Availability,
    Conversation,
    ConversationStatus,
    DigestSubscription,
    EmailMode,
    Participant,
    ParticipantRole,
    PollOption,
    PollVote,
    Position,
    Post,
    Proposal,
    ProposalKind,
    ProposalStatus,
    RankedBallot,
    RankedOption,
    ScopeKind,
    Visibility,
    post_html,
)
from conversations.permissions import user_can_open_conversations
from conversations.polls import RankedResult, ranked_result, slots_tally
from groups.models import Group, Membership, PartyStaff, Role
from outbox.emails import email_absolute_url
from outbox.services import email_enqueue

UNSUBSCRIBE_SALT = "conversations.unsubscribe"
MAX_PROPOSAL_DAYS = 90
MAX_POLL_OPTIONS = 12
MAX_RANKED_OPTIONS = 10
MAX_RANKED_OPTION_CHARS = 200
REMINDER_BEFORE = timedelta(days=1)
MAX_INVITEES = 500


# --- Signed one-click links ----------------------------------------------------------------


def unsubscribe_token(*, user_id: int, what: str) -> str:
    """`what`: "digest", "daily" or "conversation:<id>". Signed: nobody can forge another's link."""
    return signing.dumps({"u": user_id, "w": what}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), str(data["w"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_links(*, user_id: int, what: str) -> dict[str, str]:
    """The outbox's two unsubscribe arguments: the page the body links to (a GET shows a
    button) and the RFC 8058 one-click endpoint the List-Unsubscribe header names."""
    token = unsubscribe_token(user_id=user_id, what=what)
    return {
        "unsubscribe_url": email_absolute_url(
            reverse("conversations:unsubscribe", kwargs={"token": token})
        ),
        "one_click_url": email_absolute_url(
            reverse("conversations:unsubscribe_one_click", kwargs={"token": token})
        ),
    }


def unsubscribe_apply(*, token: str) -> str | None:
    """Turn the emails a signed link names off. Returns what was turned off (or None)."""
    read = unsubscribe_token_read(token)
    if read is None:
        return None
    user_id, what = read
    if what == "digest":
        DigestSubscription.objects.filter(user_id=user_id).update(
            weekly=False, updated_at=timezone.now()
        )
        return "the weekly digest"
    if what == "daily":
        Participant.objects.filter(user_id=user_id, email_mode=EmailMode.DAILY).update(
            email_mode=EmailMode.NONE
        )
        return "daily summaries"
    if what.startswith("conversation:"):
        conversation_id = int(what.partition(":")[2])
        Participant.objects.filter(conversation_id=conversation_id, user_id=user_id).update(
            email_mode=EmailMode.NONE
        )
        return "emails from this conversation"
    return None


def _conversation_email(
    *,
    key: str,
    participant_user,
    conversation: Conversation,
    subject: str,
    template: str,
    context: dict,
) -> None:
    email_enqueue(
        key=key,
        to=participant_user.email,
        subject=subject,
        template=template,
        context={
            "recipient": participant_user,
            "conversation": conversation,
            "conversation_url": email_absolute_url(conversation.get_absolute_url()),
            **context,
        },
        **unsubscribe_links(user_id=participant_user.pk, what=f"conversation:{conversation.pk}"),
    )


# --- Conversations -------------------------------------------------------------------------


def _post_write(*, conversation: Conversation, author, body: str, now: datetime) -> Post:
    text = _clean_text(body, limit=MAX_POST_CHARS, field="body")
    post = Post.objects.create(
        conversation=conversation,
        author=author,
        body=text,
        body_html=post_html(text),
        created_at=now,
    )
    conversation_fragments_expire(conversation_ids=[conversation.pk])
    dashboards_expire(conversation_ids=[conversation.pk])
    return post


def _clean_text(text: str, *, limit: int, field: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({field: "Write something first."})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it under {limit} characters."})
    return text


@transaction.atomic
def conversation_open(
    *,
    author,
    title: str,
    scope_kind: str,
    body: str,
    visibility: str = Visibility.PRIVATE,
    constituency=None,
    region: str = "",
    agreement=None,
    clash_id: int | None = None,
    groups: list[Group] | tuple = (),
) -> Conversation:
    if not user_can_open_conversations(author):
        raise PermissionDenied("Group organisers and party staff open conversations.")
    if scope_kind not in ScopeKind.values:
        raise ValidationError({"scope_kind": "Choose what this conversation is about."})
    required = {
        ScopeKind.SEAT: constituency,
        ScopeKind.REGION: region,
        ScopeKind.AGREEMENT: agreement,
        ScopeKind.CLASH: clash_id,
        ScopeKind.GROUPS: list(groups),
    }[ScopeKind(scope_kind)]
    if not required:
        raise ValidationError({"scope_kind": "Say which one it is about."})
    now = timezone.now()
    conversation = Conversation(
        title=header_safe(title, 200),
        scope_kind=scope_kind,
        constituency=constituency,
        region=region,
        agreement=agreement,
        clash_id=clash_id,
        visibility=visibility,
        created_by=author,
        created_at=now,
        last_activity_at=now,
    )
    if agreement is not None and constituency is None:
        conversation.constituency = agreement.constituency
    conversation.full_clean()
    conversation.save()
    if groups:
        conversation.groups_involved.add(*groups)
    Participant.objects.create(
        conversation=conversation, user=author, role=ParticipantRole.ORGANISER, joined_at=now
    )
    _post_write(conversation=conversation, author=author, body=body, now=now)
    return conversation


def invitees(*, groups=(), parties=(), include_members: bool = False, region: str = "") -> list:
    """Organisers (and, if chosen, members) of the groups; staff of the parties (those for the
    whole UK or for `region`)."""
    User = get_user_model()
    roles = [Role.ORGANISER, Role.MEMBER] if include_members else [Role.ORGANISER]
    group_users = Membership.objects.filter(group__in=list(groups), role__in=roles).values(
        "user_id"
    )
    staff = PartyStaff.objects.filter(party__in=list(parties))
    if region:
        staff = staff.filter(Q(region="") | Q(region=region))
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=group_users) | Q(pk__in=staff.values("user_id")))
        .order_by("pk")[: MAX_INVITEES + 1]
    )


@transaction.atomic
def conversation_invite(
    *,
    conversation: Conversation,
    inviter,
    groups=(),
    parties=(),
    include_members: bool = False,
) -> list[Participant]:
    """Add the chosen people as participants and email each new one a link. People already in
    it are left as they are (someone who left is not pulled back in)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.is_open:
        raise ValidationError("This conversation is closed.")
    people = invitees(
        groups=groups, parties=parties, include_members=include_members, region=conversation.region
    )
    if len(people) > MAX_INVITEES:
        raise ValidationError(f"That is more than {MAX_INVITEES} people: choose fewer groups.")
    if not people:
        raise ValidationError("Nobody to invite there: those groups have no organisers yet.")
    existing = set(conversation.participants.values_list("user_id", flat=True))
    now = timezone.now()
    added = Participant.objects.bulk_create(
        [
            Participant(
                conversation=conversation,
                user=person,
                invited_by=inviter,
                joined_at=now,
                summarised_until=now,
            )
            for person in people
            if person.pk not in existing
        ]
    )
    if groups:
        conversation.groups_involved.add(*groups)
    conversation_fragments_expire(conversation_ids=[conversation.pk])
    dashboards_expire(user_ids=[participant.user_id for participant in added])
    for participant in added:
        _conversation_email(
            key=f"conversation-invite:{conversation.pk}:{participant.user_id}",
            participant_user=participant.user,
            conversation=conversation,
            subject=f"{inviter.display_name} invites you to talk: {conversation.title}",
            template="conversations/email/invitation",
            context={"inviter": inviter},
        )
    return added


@transaction.atomic
def post_create(*, conversation: Conversation, author, body: str) -> Post:
    """A reply. Participants who chose instant emails get it by email (not the author)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.is_open:
        raise ValidationError("This conversation is closed: replies are no longer taken.")
    now = timezone.now()
    post = _post_write(conversation=conversation, author=author, body=body, now=now)
    Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=now)
    recipients = (
        Participant.objects.current()
        .filter(conversation=conversation, email_mode=EmailMode.INSTANT, user__is_active=True)
        .exclude(user=author)
        .select_related("user")
    )
    for participant in recipients:
        _conversation_email(
            key=f"post:{post.pk}:{participant.user_id}",
            participant_user=participant.user,
            conversation=conversation,
            subject=f"{author.display_name} replied: {conversation.title}",
            template="conversations/email/post",
            context={"post": post, "author": author},
        )
    return post


def participant_email_mode_set(*, participant: Participant, email_mode: str) -> Participant:
    if email_mode not in EmailMode.values:
        raise ValidationError({"email_mode": "Choose one of the options."})
    participant.email_mode = email_mode
    participant.summarised_until = timezone.now()
    participant.save(update_fields=["email_mode", "summarised_until"])
    return participant


@transaction.atomic
def participant_leave(*, participant: Participant) -> Participant:
    """Leave: no more emails, no access to a private conversation. Posts stay."""
    if participant.role == ParticipantRole.ORGANISER:
        others = (
            Participant.objects.current()
            .filter(conversation_id=participant.conversation_id, role=ParticipantRole.ORGANISER)
            .exclude(pk=participant.pk)
        )
        if not others.exists():
            raise ValidationError(
                "You are its only organiser: close the conversation instead of leaving."
            )
    participant.left_at = timezone.now()
    participant.save(update_fields=["left_at"])
    conversation_fragments_expire(conversation_ids=[participant.conversation_id])
    dashboards_expire(user_ids=[participant.user_id])
    return participant


@transaction.atomic
def conversation_close(*, conversation: Conversation, user) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.is_open:
        return conversation
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = timezone.now()
    conversation.closed_by = user
    conversation.save(update_fields=["status", "closed_at", "closed_by"])
    return conversation


# --- Proposals -----------------------------------------------------------------------------


def _current_participants(conversation_id: int):
    return (
        Participant.objects.current()
        .filter(conversation_id=conversation_id, user__is_active=True)
        .select_related("user")
    )


@transaction.atomic
def proposal_create(
    *,
    conversation: Conversation,
    proposer,
    statement: str,
    details: str,
    deadline: datetime,
    options: list[datetime] | None = None,
    ranked_options: list[str] | None = None,
) -> Proposal:
    """A proposal answered agree / abstain / disagree / block; with `options` (the dates and
    times offered) a time poll instead, each option answered yes / if need be / no; with
    `ranked_options` (2 to 10 answers to the question) a ranked-choice poll, each participant
    ranking every option. All close at the deadline, get the same reminder, and end with the
    proposer's outcome."""
    if options is not None and ranked_options is not None:
        raise ValueError("A poll offers times or options to rank, not both.")
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.is_open:
        raise ValidationError("This conversation is closed.")
    now = timezone.now()
    if deadline <= now + timedelta(minutes=5):
        raise ValidationError({"deadline": "The deadline must be in the future."})
    if deadline > now + timedelta(days=MAX_PROPOSAL_DAYS):
        raise ValidationError({"deadline": f"Give people at most {MAX_PROPOSAL_DAYS} days."})
    if options is not None:
        options = sorted(set(options))
        if not 2 <= len(options) <= MAX_POLL_OPTIONS:
            raise ValidationError(
                {"options": f"Offer between 2 and {MAX_POLL_OPTIONS} different times."}
            )
        if options[0] <= now:
            raise ValidationError({"options": "Offer times in the future."})
    kind = ProposalKind.DECISION
    if options is not None:
        kind = ProposalKind.TIME_POLL
    elif ranked_options is not None:
        kind = ProposalKind.RANKED
        ranked_options = _ranked_options_clean(ranked_options)
    proposal = Proposal.objects.create(
        conversation=conversation,
        kind=kind,
        statement=_clean_text(statement, limit=500, field="statement"),
        details=(details or "").strip()[:MAX_POST_CHARS],
        proposer=proposer,
        deadline=deadline,
        created_at=now,
    )
    if options is not None:
        PollOption.objects.bulk_create(
            PollOption(proposal=proposal, starts_at=starts_at) for starts_at in options
        )
    if ranked_options is not None:
        RankedOption.objects.bulk_create(
            RankedOption(proposal=proposal, label=label, position=position)
            for position, label in enumerate(ranked_options, start=1)
        )
    Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=now)
    conversation_fragments_expire(conversation_ids=[conversation.pk])
    dashboards_expire(conversation_ids=[conversation.pk])
    for participant in _current_participants(conversation.pk).exclude(user=proposer):
        if participant.email_mode == EmailMode.NONE:
            continue
        _conversation_email(
            key=f"proposal-new:{proposal.pk}:{participant.user_id}",
            participant_user=participant.user,
            conversation=conversation,
            subject=f"Proposal: {proposal.statement}",
            template="conversations/email/proposal_new",
            context={"proposal": proposal, "proposal_url": _proposal_url(proposal)},
        )
    return proposal


def _ranked_options_clean(labels: list[str]) -> list[str]:
    """The options as listed, blanks dropped, each once (the first time it is listed)."""
    cleaned: list[str] = []
    for label in labels:
        label = " ".join((label or "").split())
        if len(label) > MAX_RANKED_OPTION_CHARS:
            raise ValidationError(
                {"ranked_options": f"Keep each option under {MAX_RANKED_OPTION_CHARS} characters."}
            )
        if label and label.casefold() not in {seen.casefold() for seen in cleaned}:
            cleaned.append(label)
    if not 2 <= len(cleaned) <= MAX_RANKED_OPTIONS:
        raise ValidationError(
            {"ranked_options": f"Offer between 2 and {MAX_RANKED_OPTIONS} different options."}
        )
    return cleaned


def _proposal_url(proposal: Proposal) -> str:
    return email_absolute_url(proposal.get_absolute_url())


@transaction.atomic
def answer_set(*, proposal: Proposal, user, position: str, reason: str) -> Answer:
    """Answer, or change one's answer, until the deadline."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_open or proposal.deadline <= timezone.now():
        raise ValidationError("This proposal is closed: answers can no longer change.")
    if proposal.is_time_poll:
        raise ValidationError("A time poll is answered per time offered.")
    if proposal.is_ranked_poll:
        raise ValidationError("A ranked-choice poll is answered by ranking its options.")
    if position not in Position.values:
        raise ValidationError({"position": "Choose agree, abstain, disagree or block."})
    reason = _clean_text(reason, limit=MAX_REASON_CHARS, field="reason")
    now = timezone.now()
    answer, _ = Answer.objects.update_or_create(
        proposal=proposal,
        user=user,
        defaults={"position": position, "reason": reason, "updated_at": now},
        create_defaults={"position": position, "reason": reason, "created_at": now},
    )
    _answer_recorded(proposal=proposal, user=user)
    return answer


@transaction.atomic
def poll_votes_set(*, proposal: Proposal, user, votes: dict[int, str]) -> list[PollVote]:
    """Mark each offered time yes / if need be / no (`votes`: option id → availability),
    changeable until the deadline. Every option must be answered."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_time_poll:
        raise ValidationError("Only a time poll is answered per time.")
    if not proposal.is_open or proposal.deadline <= timezone.now():
        raise ValidationError("This poll is closed: answers can no longer change.")
    option_ids = set(proposal.options.values_list("pk", flat=True))
    if set(votes) != option_ids:
        raise ValidationError("Answer every time offered.")
    if any(value not in Availability.values for value in votes.values()):
        raise ValidationError("Choose yes, if need be or no for each time.")
    now = timezone.now()
    saved = [
        PollVote.objects.update_or_create(
            option_id=option_id,
            user=user,
            defaults={"availability": availability, "updated_at": now},
        )[0]
        for option_id, availability in sorted(votes.items())
    ]
    _answer_recorded(proposal=proposal, user=user)
    return saved


def poll_tally(proposal: Proposal) -> list:
    """Each offered time with who said yes / if need be / no, the best slot(s) marked
    (conversations/polls.py), in two queries."""
    options = list(proposal.options.values_list("pk", "starts_at"))
    votes = [
        (vote.option_id, vote.availability, vote.user.display_name if vote.user else "")
        for vote in PollVote.objects.filter(option__proposal=proposal).select_related("user")
    ]
    return slots_tally(options, votes)


@transaction.atomic
def ranked_ballot_set(*, proposal: Proposal, user, ranking: list[int]) -> RankedBallot:
    """Rank every option of a ranked-choice poll (`ranking`: option ids, best first), or
    change one's ranking, until the deadline."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_ranked_poll:
        raise ValidationError("Only a ranked-choice poll is answered with a ranking.")
    if not proposal.is_open or proposal.deadline <= timezone.now():
        raise ValidationError("This poll is closed: rankings can no longer change.")
    option_ids = set(proposal.ranked_options.values_list("pk", flat=True))
    if len(ranking) != len(set(ranking)) or set(ranking) != option_ids:
        raise ValidationError("Rank every option once: 1 for your first choice, and so on.")
    ballot, _ = RankedBallot.objects.update_or_create(
        proposal=proposal,
        user=user,
        defaults={"ranking": list(ranking), "updated_at": timezone.now()},
    )
    _answer_recorded(proposal=proposal, user=user)
    return ballot


def _answer_recorded(*, proposal: Proposal, user) -> None:
    """An answer, a time poll's votes or a ranking changed: the proposal no longer awaits
    `user`, on the conversation page and on their dashboard."""
    conversation_awaiting_expire(conversation_id=proposal.conversation_id, user_id=user.pk)
    dashboards_expire(user_ids=[user.pk])


def ranked_poll_result(proposal: Proposal) -> RankedResult:
    """The instant run-off of a ranked-choice poll, round by round (conversations/polls.py),
    in two queries: the options, and the ballots grouped by ranking."""
    options = list(proposal.ranked_options.values_list("pk", "label"))
    rankings = (
        RankedBallot.objects.filter(proposal=proposal)
        .values("ranking")
        .annotate(ballots=Count("pk"))
        .order_by()
        .values_list("ranking", "ballots")
    )
    return ranked_result(options, list(rankings))


def _answered_user_ids(proposal: Proposal) -> set[int]:
    if proposal.is_ranked_poll:
        return set(proposal.ballots.values_list("user_id", flat=True))
    if proposal.is_time_poll:
        return set(
            PollVote.objects.filter(option__proposal=proposal).values_list("user_id", flat=True)
        )
    return set(proposal.answers.values_list("user_id", flat=True))


def proposals_remind(*, now: datetime | None = None) -> int:
    """One reminder, a day before the deadline, to each participant who has not answered.
    Each proposal is claimed (SKIP LOCKED, reminders_sent_at) and each email is keyed, so
    two runs at once or a repeated run send nothing twice. Returns emails written."""
    now = now or timezone.now()
    written = 0
    while True:
        with transaction.atomic():
            proposal = (
                Proposal.objects.open()
                .filter(reminders_sent_at__isnull=True, deadline__gt=now)
                .filter(deadline__lte=now + REMINDER_BEFORE)
                .select_for_update(skip_locked=True)
                .select_related("conversation")
                .first()
            )
            if proposal is None:
                return written
            answered = _answered_user_ids(proposal)
            for participant in _current_participants(proposal.conversation_id):
                if participant.user_id in answered or participant.email_mode == EmailMode.NONE:
                    continue
                sent = email_enqueue(
                    key=f"proposal-reminder:{proposal.pk}:{participant.user_id}",
                    to=participant.user.email,
                    subject=f"A day left to answer: {proposal.statement}",
                    template="conversations/email/proposal_reminder",
                    context={
                        "recipient": participant.user,
                        "conversation": proposal.conversation,
                        "proposal": proposal,
                        "proposal_url": _proposal_url(proposal),
                    },
                    **unsubscribe_links(
                        user_id=participant.user_id,
                        what=f"conversation:{proposal.conversation_id}",
                    ),
                )
                written += sent is not None
            proposal.reminders_sent_at = now
            proposal.save(update_fields=["reminders_sent_at"])


def proposals_close_due(*, now: datetime | None = None) -> list[int]:
    """Close proposals whose deadline has passed, and ask each proposer (once) to record the
    outcome. Safe to run twice or at once: the UPDATE takes each row once."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = list(
            Proposal.objects.due(now=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Proposal.objects.filter(pk__in=closed).update(status=ProposalStatus.CLOSED, closed_at=now)
        changed = set(
            Proposal.objects.filter(pk__in=closed).values_list("conversation_id", flat=True)
        )
        conversation_fragments_expire(conversation_ids=changed)
        dashboards_expire(conversation_ids=changed)
        for proposal in Proposal.objects.filter(pk__in=closed).select_related(
            "proposer", "conversation"
        ):
            if proposal.proposer is None or not proposal.proposer.is_active:
                continue
            email_enqueue(
                key=f"proposal-closed:{proposal.pk}",
                to=proposal.proposer.email,
                subject=f"Closed, record the outcome: {proposal.statement}",
                template="conversations/email/proposal_closed",
                context={
                    "recipient": proposal.proposer,
                    "conversation": proposal.conversation,
                    "proposal": proposal,
                    "proposal_url": _proposal_url(proposal),
                },
            )
    return closed


@transaction.atomic
def proposal_outcome_record(*, proposal: Proposal, user, outcome: str) -> Proposal:
    """The proposer states the outcome once the proposal has closed; every current
    participant is emailed it exactly once (keyed per proposal and person)."""
    proposal = (
        Proposal.objects.select_for_update().select_related("conversation").get(pk=proposal.pk)
    )
    if proposal.is_open:
        raise ValidationError("The outcome is recorded once the proposal has closed.")
    if proposal.outcome_at is not None:
        raise ValidationError("The outcome has already been recorded.")
    proposal.outcome = _clean_text(outcome, limit=MAX_POST_CHARS, field="outcome")
    proposal.outcome_at = timezone.now()
    proposal.save(update_fields=["outcome", "outcome_at"])
    Conversation.objects.filter(pk=proposal.conversation_id).update(
        last_activity_at=proposal.outcome_at
    )
    conversation_fragments_expire(conversation_ids=[proposal.conversation_id])
    dashboards_expire(conversation_ids=[proposal.conversation_id])
    tally = proposal_tally(proposal) if proposal.kind == ProposalKind.DECISION else []
    slots = poll_tally(proposal) if proposal.is_time_poll else []
    ranked = ranked_poll_result(proposal) if proposal.is_ranked_poll else None
    for participant in _current_participants(proposal.conversation_id):
        email_enqueue(
            key=f"proposal-outcome:{proposal.pk}:{participant.user_id}",
            to=participant.user.email,
            subject=f"Outcome: {proposal.statement}",
            template="conversations/email/proposal_outcome",
            context={
                "recipient": participant.user,
                "conversation": proposal.conversation,
                "proposal": proposal,
                "tally": tally,
                "best_slots": [slot for slot in slots if slot.best],
                "ranked": ranked,
                "proposal_url": _proposal_url(proposal),
            },
            **unsubscribe_links(
                user_id=participant.user_id, what=f"conversation:{proposal.conversation_id}"
            ),
        )
    return proposal


def proposal_tally(proposal: Proposal) -> list[dict]:
    """Each position with its count and every answer (reason and who), in one query."""
    answers = list(proposal.answers.select_related("user").order_by("created_at", "pk"))
    return [
        {
            "position": position,
            "label": label,
            "answers": [a for a in answers if a.position == position],
            "count": sum(1 for a in answers if a.position == position),
        }
        for position, label in Position.choices
    ]


# --- Daily summaries -----------------------------------------------------------------------


def daily_summaries_send(*, now: datetime | None = None) -> int:
    """One email a day per participant who chose the daily summary, with the new posts of
    each of their conversations since the last one. Keyed "daily:<user>:<date>": once a day
    whatever happens. Returns emails written."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    written = 0
    user_ids = (
        Participant.objects.current()
        .filter(email_mode=EmailMode.DAILY, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    User = get_user_model()
    for user_id in list(user_ids):
        with transaction.atomic():
            seats = list(
                Participant.objects.current()
                .filter(user_id=user_id, email_mode=EmailMode.DAILY)
                .select_for_update(skip_locked=True)
                .select_related("conversation")
            )
            sections = []
            for seat in seats:
                posts = list(
                    Post.objects.filter(
                        conversation_id=seat.conversation_id,
                        created_at__gt=seat.summarised_until,
                        created_at__lte=now,
                    )
                    .exclude(author_id=user_id)
                    .select_related("author")[:50]
                )
                if posts:
                    sections.append({"conversation": seat.conversation, "posts": posts})
            if not sections:
                continue
            user = User.objects.get(pk=user_id)
            sent = email_enqueue(
                key=f"daily:{user_id}:{day}",
                to=user.email,
                subject=f"Today in your conversations ({len(sections)})",
                template="conversations/email/daily_summary",
                **unsubscribe_links(user_id=user_id, what="daily"),
                context={
                    "recipient": user,
                    "sections": [
                        {
                            **section,
                            "url": email_absolute_url(section["conversation"].get_absolute_url()),
                        }
                        for section in sections
                    ],
                },
            )
            Participant.objects.filter(pk__in=[s.pk for s in seats]).update(summarised_until=now)
            written += sent is not None
    return written


# --- Weekly digest preference ----------------------------------------------------------------


def digest_subscription_set(*, user, weekly: bool) -> DigestSubscription:
    subscription, _ = DigestSubscription.objects.update_or_create(
        user=user, defaults={"weekly": weekly, "updated_at": timezone.now()}
    )
    return subscription

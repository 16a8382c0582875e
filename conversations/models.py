"""Conversations: threads scoped to what people coordinate around (a seat, a region, linked
groups, an agreement, a clash), with proposals people answer agree / abstain / disagree / block.

Nothing is ever deleted: participants leave (left_at), conversations close (closed_at),
proposals close at their deadline; a deleted account's posts stay as "a former member" with
the text removed.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import urlize

from seats.regions import Region

MAX_POST_CHARS = 5000
MAX_REASON_CHARS = 1000


class ScopeKind(models.TextChoices):
    SEAT = "seat", "A seat"
    REGION = "region", "A region"
    GROUPS = "groups", "Linked groups"
    AGREEMENT = "agreement", "An agreement"
    CLASH = "clash", "A clash between events"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private: participants only"
    PUBLIC = "public", "Public: everyone signed in"


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ParticipantRole(models.TextChoices):
    ORGANISER = "organiser", "Organiser"
    PARTICIPANT = "participant", "Participant"


class EmailMode(models.TextChoices):
    INSTANT = "instant", "Every reply by email"
    DAILY = "daily", "A daily summary"
    NONE = "none", "No emails"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Position(models.TextChoices):
    AGREE = "agree", "Agree"
    ABSTAIN = "abstain", "Abstain"
    DISAGREE = "disagree", "Disagree"
    BLOCK = "block", "Block"


class ProposalKind(models.TextChoices):
    DECISION = "decision", "A proposal (agree / abstain / disagree / block)"
    TIME_POLL = "time_poll", "A time poll (when shall we meet?)"
    RANKED = "ranked", "A ranked-choice poll (rank the options)"


class Availability(models.TextChoices):
    """A time poll's answer for one option, best first."""

    YES = "yes", "Yes"
    IF_NEED_BE = "maybe", "If need be"
    NO = "no", "No"


class ConversationQuerySet(models.QuerySet):
    def _participating(self, user):
        return Participant.objects.filter(
            conversation=OuterRef("pk"), user=user, left_at__isnull=True
        )

    def visible_to(self, user):
        """Private ones to their (current) participants; public ones to everyone signed in."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(visibility=Visibility.PUBLIC) | Exists(self._participating(user)))

    def joined_by(self, user):
        return self.filter(Exists(self._participating(user)))

    def about_seat(self, constituency):
        return self.filter(constituency=constituency)

    def open(self):
        return self.filter(status=ConversationStatus.OPEN)

    def recent_first(self):
        return self.order_by("-last_activity_at", "-pk")


class Conversation(models.Model):
    title = models.CharField(max_length=200)
    scope_kind = models.CharField(max_length=10, choices=ScopeKind.choices)
    constituency = models.ForeignKey(
        "seats.Constituency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    region = models.CharField(max_length=9, choices=Region.choices, blank=True)
    groups_involved = models.ManyToManyField(
        "groups.Group", blank=True, related_name="conversations"
    )
    agreement = models.ForeignKey(
        "seats.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    # A plain id, not a foreign key: a conversation outlives the clash it started from.
    clash_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    status = models.CharField(
        max_length=8, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        indexes = [
            models.Index(fields=["constituency", "-last_activity_at"], name="conv_seat_idx"),
            models.Index(fields=["agreement"], name="conv_agreement_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("conversations:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == ConversationStatus.OPEN


class ParticipantQuerySet(models.QuerySet):
    def current(self):
        return self.filter(left_at__isnull=True)


class Participant(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_seats"
    )
    role = models.CharField(
        max_length=12, choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT
    )
    email_mode = models.CharField(
        max_length=8, choices=EmailMode.choices, default=EmailMode.INSTANT
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Daily summaries cover posts after this moment.
    summarised_until = models.DateTimeField(default=timezone.now)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique_user")
        ]
        indexes = [models.Index(fields=["user", "left_at"], name="participant_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"

    @property
    def is_current(self) -> bool:
        return self.left_at is None

    @property
    def is_organiser(self) -> bool:
        return self.role == ParticipantRole.ORGANISER and self.left_at is None


def post_html(text: str) -> str:
    """Plain text as safe HTML: everything escaped, URLs as nofollow links, line breaks."""
    return linebreaksbr(urlize(text, nofollow=True, autoescape=True), autoescape=False)


class Post(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="posts")
    # Null once the author's account is deleted: shown as "a former member", text removed.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversation_posts",
    )
    body = models.TextField(max_length=MAX_POST_CHARS)
    # `body` escaped, URLs made links, line breaks kept: made once by post_html() when the
    # post is written, never from anything but `body` (pages show it without re-rendering).
    body_html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now)
    is_erased = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="post_conv_idx")]

    def __str__(self) -> str:
        return f"Post {self.pk} in {self.conversation_id}"

    @property
    def html(self) -> str:
        from django.utils.safestring import mark_safe

        return mark_safe(self.body_html)  # made by post_html() from escaped text only


class ProposalQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ProposalStatus.OPEN)

    def due(self, *, now=None):
        return self.open().filter(deadline__lte=now or timezone.now())

    def unanswered_by(self, user):
        """Open proposals `user` has not answered (wherever they are): no answer to a
        proposal, no vote in a time poll, no ranking in a ranked-choice poll."""
        return self.open().exclude(
            Exists(Answer.objects.filter(proposal=OuterRef("pk"), user=user))
            | Exists(PollVote.objects.filter(option__proposal=OuterRef("pk"), user=user))
            | Exists(RankedBallot.objects.filter(proposal=OuterRef("pk"), user=user))
        )

    def awaiting_answer_from(self, user):
        """Open proposals in conversations `user` takes part in that they have not answered."""
        return self.unanswered_by(user).filter(
            conversation__participants__user=user,
            conversation__participants__left_at__isnull=True,
        )


class Proposal(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="proposals"
    )
    kind = models.CharField(
        max_length=10, choices=ProposalKind.choices, default=ProposalKind.DECISION
    )
    statement = models.CharField(max_length=500)
    details = models.TextField(blank=True, max_length=MAX_POST_CHARS)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, max_length=MAX_POST_CHARS)
    outcome_at = models.DateTimeField(null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["deadline"],
                name="proposal_open_idx",
                condition=Q(status=ProposalStatus.OPEN),
            )
        ]

    def __str__(self) -> str:
        return self.statement

    def get_absolute_url(self) -> str:
        return reverse("conversations:proposal", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.OPEN

    @property
    def is_time_poll(self) -> bool:
        return self.kind == ProposalKind.TIME_POLL

    @property
    def is_ranked_poll(self) -> bool:
        return self.kind == ProposalKind.RANKED


class PollOption(models.Model):
    """One date and time a time poll offers."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "starts_at"], name="poll_option_unique")
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} in {self.proposal_id}"


class PollVote(models.Model):
    """Someone's yes / if need be / no for one option, changeable until the deadline."""

    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    # Null once the account is deleted: the vote still counts, nobody's name is on it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="poll_votes",
    )
    availability = models.CharField(max_length=5, choices=Availability.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["option", "user"], name="poll_vote_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.availability} for {self.option_id}"


class RankedOption(models.Model):
    """One option of a ranked-choice poll, in the order the proposer listed them (that order
    is the count's last tie-break: see conversations/polls.py)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ranked_options")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "position"], name="ranked_option_unique_position"
            ),
            models.UniqueConstraint(
                fields=["proposal", "label"], name="ranked_option_unique_label"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class RankedBallot(models.Model):
    """Someone's ranking of every option of a ranked-choice poll (option ids, best first),
    changeable until the deadline."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballots")
    # Null once the account is deleted: the ranking still counts, nobody's name is on it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ranked_ballots",
    )
    ranking = ArrayField(models.BigIntegerField())
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="ranked_ballot_one_per_user")
        ]

    def __str__(self) -> str:
        return f"Ranking in {self.proposal_id}"


class Answer(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="answers")
    # Null once the account is deleted: the position still counts, the reason is removed.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal_answers",
    )
    position = models.CharField(max_length=8, choices=Position.choices)
    reason = models.TextField(max_length=MAX_REASON_CHARS)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="answer_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.position} on {self.proposal_id}"


class DigestSubscription(models.Model):
    """Opt-in to the weekly digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    weekly = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user"], name="digest_weekly_idx", condition=Q(weekly=True))
        ]

    def __str__(self) -> str:
        return f"Digest for {self.user_id}: {'on' if self.weekly else 'off'}"

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from seats.querysets import AgreementQuerySet, ConstituencyQuerySet
from seats.regions import Nation, Region


class BoundarySet(models.TextChoices):
    B2010 = "2010", "2010–2024 boundaries"
    B2024 = "2024", "2024 boundaries"
    SAMPLE = "sample", "Sample (demo data, fictional)"


class Constituency(models.Model):
    """A Westminster constituency on one boundary set; both sets live side by side."""

    ons_code = models.CharField("ONS code", max_length=9)
    name = models.CharField(max_length=120)
    boundary_set = models.CharField(max_length=8, choices=BoundarySet.choices)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    region = models.CharField(max_length=9, choices=Region.choices)
    electorate = models.PositiveIntegerField(null=True, blank=True)
    hex_q = models.IntegerField(null=True, blank=True)
    hex_r = models.IntegerField(null=True, blank=True)

    objects = ConstituencyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "constituencies"
        constraints = [
            models.UniqueConstraint(
                fields=["ons_code", "boundary_set"], name="constituency_unique_code_per_set"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sample(self) -> bool:
        return self.boundary_set == BoundarySet.SAMPLE


class ElectionKind(models.TextChoices):
    GENERAL = "general", "General election"
    BY_ELECTION = "by", "By-election"
    NOTIONAL = "notional", "Notional results"


class Election(models.Model):
    slug = models.SlugField(max_length=40, unique=True, help_text="E.g. ge2019.")
    name = models.CharField(max_length=100)
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=ElectionKind.choices, default="general")
    boundary_set = models.CharField(max_length=8, choices=BoundarySet.choices)
    by_election_seat = models.ForeignKey(
        "Constituency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="by_elections",
        help_text="A by-election's one seat (blank for a general election).",
    )

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="by") | Q(by_election_seat__isnull=True),
                name="election_seat_only_for_by_elections",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_upcoming(self) -> bool:
        return self.date >= timezone.localdate()

    def covers(self, constituency) -> bool:
        """Whether this election is held in `constituency` (a by-election: only its seat)."""
        if self.by_election_seat_id is not None:
            return self.by_election_seat_id == constituency.pk
        return self.boundary_set == constituency.boundary_set


class Contest(models.Model):
    """One constituency at one election: the declared summary from the results file."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="contests")
    constituency = models.ForeignKey(
        Constituency, on_delete=models.CASCADE, related_name="contests"
    )
    electorate = models.PositiveIntegerField(null=True, blank=True)
    valid_votes = models.PositiveIntegerField()
    invalid_votes = models.PositiveIntegerField(null=True, blank=True)
    majority = models.PositiveIntegerField(null=True, blank=True)
    winner_code = models.CharField(max_length=40, help_text="Declared winner, e.g. Con, Spk, Ind.")
    second_code = models.CharField(max_length=40, blank=True)
    other_winner_votes = models.PositiveIntegerField(
        default=0, help_text="Votes of a winner from outside the party columns (Speaker, Ind)."
    )

    class Meta:
        ordering = ["constituency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "constituency"], name="contest_unique_election_seat"
            )
        ]

    def __str__(self) -> str:
        return f"{self.constituency} ({self.election.slug})"

    @property
    def is_speaker_seat(self) -> bool:
        return self.winner_code == "Spk"


class Result(models.Model):
    """Votes of one party (or the Other bucket) in one constituency at one election."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="results")
    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="results")
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="results")
    votes = models.PositiveIntegerField()

    class Meta:
        ordering = ["-votes"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "constituency", "party"], name="result_unique_party_seat"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.votes} in {self.constituency}"


class Arrangement(models.TextChoices):
    STAND_ASIDE = "stand_aside", "Stand aside"
    ENDORSE = "endorse", "Endorse"
    NON_AGGRESSION = "non_aggression", "Non-aggression"
    OPEN_PRIMARY = "open_primary", "Open primary"
    TACTICAL = "tactical", "Tactical campaigning"


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    NEGOTIATING = "negotiating", "Negotiating"
    AGREED = "agreed", "Agreed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Agreement(models.Model):
    """An arrangement between parties for one seat at one election."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="agreements")
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="agreements"
    )
    arrangement = models.CharField(max_length=20, choices=Arrangement.choices)
    terms = models.TextField(blank=True, max_length=5000)
    red_lines = models.TextField(blank=True, max_length=5000)
    status = models.CharField(
        max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    package = models.ForeignKey(
        "AgreementPackage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreements",
        help_text="The cluster of seats this agreement is negotiated in, if any.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "constituency"],
                condition=~Q(status="withdrawn"),
                name="agreement_one_live_per_seat",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_arrangement_display()} in {self.constituency} ({self.election.slug})"

    def get_absolute_url(self) -> str:
        return reverse("seats:agreement_detail", kwargs={"pk": self.pk})


class AgreementRole(models.TextChoices):
    CARRIES_HOPES = "carries_hopes", "Carries the alliance's hopes"
    STANDS_ASIDE = "stands_aside", "Stands aside"
    ENDORSES = "endorses", "Endorses"


class AgreementParty(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=AgreementRole.choices)

    class Meta:
        ordering = ["role", "party__name"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="agreementparty_unique"),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(role="carries_hopes"),
                name="agreementparty_one_carrier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.get_role_display()}"


class AgreementAcceptance(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="acceptances")
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party"], name="agreementacceptance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} accepted {self.agreement_id}"


# The history action of an agreement whose carrier an agreed outcome chose (an open primary).
CARRIER_CHOSEN_ACTION = "carrier set"


class AgreementHistory(models.Model):
    """Every change to an agreement, append-only: who, when, what."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20)
    detail = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "agreement history"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class PackageStatus(models.TextChoices):
    NEGOTIATING = "negotiating", "Negotiating"
    AGREED = "agreed", "Agreed"
    REJECTED = "rejected", "Rejected"


class AgreementPackage(models.Model):
    """A cluster of seats: several agreements for one election that every party in them
    accepts or rejects as a whole, so goodwill in one seat can be reciprocated in another."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="packages")
    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=12, choices=PackageStatus.choices, default=PackageStatus.NEGOTIATING
    )
    consultation_open = models.BooleanField(
        default=False,
        help_text="Organisers of the groups covering its seats may read it and comment.",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.election.name})"

    def get_absolute_url(self) -> str:
        return reverse("seats:package_detail", kwargs={"pk": self.pk})


class PackageAcceptance(models.Model):
    package = models.ForeignKey(
        AgreementPackage, on_delete=models.CASCADE, related_name="acceptances"
    )
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "party"], name="packageacceptance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.party} accepted package {self.package_id}"


class PackageHistory(models.Model):
    """Every change to a package, append-only (each one emails the parties' staff once)."""

    package = models.ForeignKey(AgreementPackage, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "package history"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class PackageComment(models.Model):
    """Local consultation: an organiser of a group covering one of the package's seats
    comments on it, or endorses it, for the parties' staff to read."""

    package = models.ForeignKey(AgreementPackage, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="package_comments"
    )
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=2000)
    endorses = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on package {self.package_id} by {self.group}"


class SwapStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a match"
    MATCHED = "matched", "Matched"
    LAPSED = "lapsed", "Lapsed (did not confirm in time)"
    WITHDRAWN = "withdrawn", "Withdrawn"


class VoteSwapRegistration(models.Model):
    """A supporter offering to swap: votes for `local_party` at home, wants `preferred_party`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vote_swap_registration"
    )
    preferred_party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    postcode = models.CharField(max_length=8, blank=True)
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="vote_swap_registrations"
    )
    local_party = models.ForeignKey(
        "groups.Party",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The alliance candidate (agreed pact) or best-placed progressive party there.",
    )
    seat_score = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.WAITING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="swapreg_queue")]

    def __str__(self) -> str:
        return f"{self.user} wants {self.preferred_party} in {self.constituency}"


class VoteSwapState(models.TextChoices):
    PROPOSED = "proposed", "Waiting for both to confirm"
    CONFIRMED = "confirmed", "Confirmed by both"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class VoteSwap(models.Model):
    """Two registrations paired by the matcher; `a` always has the lower id."""

    a = models.ForeignKey(VoteSwapRegistration, on_delete=models.CASCADE, related_name="swaps_a")
    b = models.ForeignKey(VoteSwapRegistration, on_delete=models.CASCADE, related_name="swaps_b")
    state = models.CharField(
        max_length=10, choices=VoteSwapState.choices, default=VoteSwapState.PROPOSED
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    a_confirmed_at = models.DateTimeField(null=True, blank=True)
    b_confirmed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When both people were emailed about the match."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(a__lt=F("b")), name="voteswap_ordered_pair"),
            models.UniqueConstraint(
                fields=["a"],
                condition=Q(state__in=["proposed", "confirmed"]),
                name="voteswap_one_active_a",
            ),
            models.UniqueConstraint(
                fields=["b"],
                condition=Q(state__in=["proposed", "confirmed"]),
                name="voteswap_one_active_b",
            ),
        ]

    def __str__(self) -> str:
        return f"Swap {self.a_id}↔{self.b_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in (VoteSwapState.PROPOSED, VoteSwapState.CONFIRMED)

    def side_of(self, registration) -> str:
        return "a" if registration.pk == self.a_id else "b"

    def partner_of(self, registration):
        return self.b if registration.pk == self.a_id else self.a


def _alert_token() -> str:
    return secrets.token_urlsafe(32)


class AdviceAlert(models.Model):
    """A visitor's wish to be emailed when the advice for one seat changes. No account needed:
    the email is confirmed first, and the token in every email unsubscribes without signing in.
    `advice_text` is the advice the person last saw (at confirmation or in the last email)."""

    email = models.EmailField(max_length=254)
    constituency = models.ForeignKey(
        Constituency, on_delete=models.CASCADE, related_name="advice_alerts"
    )
    token = models.CharField(max_length=64, unique=True, default=_alert_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    advice_text = models.TextField(blank=True)
    emails_sent = models.PositiveIntegerField(
        default=0, help_text="Advice-change emails so far: part of each email's outbox key."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "constituency"], name="advicealert_one_per_email_seat"
            )
        ]

    def __str__(self) -> str:
        return (
            f"Advice alert for {self.constituency} ({'confirmed' if self.confirmed_at else 'new'})"
        )

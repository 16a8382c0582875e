"""Writes for open primaries: set-up by the parties, registration, casting, counting, clean-up."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from alliance.ratelimit import rate_limit_exceeded
from alliance.tasks import enqueue_after_commit
from groups.models import Party, PartyStaff
from outbox.models import OutboxEmail
from petitions.emails import email_is_disposable, email_normalise
from primaries import counting, emails
from primaries.models import (
    Ballot,
    Candidate,
    Electorate,
    Phase,
    Primary,
    PrimaryAcceptance,
    PrimaryHistory,
    PrimaryStatus,
    Voter,
    VoterStatus,
)
from primaries.permissions import (
    acceptance_check_allowed,
    ballot_check_castable,
    candidate_check_editable,
    registration_check_open,
    rules_check_editable,
    voter_check_reviewable,
)
from primaries.tasks import ballots_vacuum_task
from seats.models import Agreement, AgreementStatus
from seats.postcodes import InvalidPostcode, postcode_lookup, postcode_normalise
from seats.services import agreement_carrier_set
from seats.targets import advice_changed

logger = logging.getLogger(__name__)

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or retyped


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def receipt_normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch in RECEIPT_ALPHABET)


def receipt_new() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _history(primary: Primary, *, actor, action: str, detail: str = "") -> None:
    PrimaryHistory.objects.create(primary=primary, actor=actor, action=action, detail=detail)


def _locked(primary: Primary) -> Primary:
    return (
        Primary.objects.select_for_update(of=("self",))
        .select_related("agreement__constituency")
        .get(pk=primary.pk)
    )


def _acceptances_reset(primary: Primary, *, actor, why: str) -> None:
    """Any change voids every acceptance: each party must accept what now stands."""
    primary.acceptances.all().delete()
    primary.rules_version += 1
    primary.status = PrimaryStatus.SETUP
    primary.agreed_at = None
    primary.save(update_fields=["rules_version", "status", "agreed_at"])
    _history(primary, actor=actor, action="changed", detail=f"{why} Acceptances reset.")


# --- Set-up by the parties ----------------------------------------------------------------------


def primary_for_agreement(*, agreement: Agreement) -> Primary:
    """The agreement's primary, created (empty, in set-up) the first time staff open it."""
    primary = Primary.objects.filter(agreement=agreement).first()
    if primary is not None:
        return primary
    try:
        with transaction.atomic():
            return Primary.objects.create(agreement=agreement)
    except IntegrityError:  # two staff opened it at once
        return Primary.objects.get(agreement=agreement)


@transaction.atomic
def primary_rules_set(
    *,
    primary: Primary,
    user,
    electorate: str,
    counting_method: str,
    registration_opens_at,
    registration_closes_at,
    voting_opens_at,
    voting_closes_at,
    now=None,
) -> Primary:
    primary = _locked(primary)
    rules_check_editable(primary=primary, now=now)
    new = {
        "electorate": electorate,
        "counting_method": counting_method,
        "registration_opens_at": registration_opens_at,
        "registration_closes_at": registration_closes_at,
        "voting_opens_at": voting_opens_at,
        "voting_closes_at": voting_closes_at,
    }
    if all(getattr(primary, k) == v for k, v in new.items()):
        return primary
    if not (registration_opens_at < registration_closes_at <= voting_opens_at < voting_closes_at):
        raise ValidationError(
            "The dates must run in order: registration opens, registration closes, "
            "voting opens, voting closes."
        )
    if voting_closes_at <= (now or timezone.now()):
        raise ValidationError("Voting must close in the future.")
    for key, value in new.items():
        setattr(primary, key, value)
    primary.full_clean(exclude=["agreement", "winner"], validate_constraints=False)
    primary.save()
    _acceptances_reset(primary, actor=user, why="Rules changed.")
    return primary


@transaction.atomic
def candidate_save(
    *,
    primary: Primary,
    user,
    party: Party,
    name: str,
    statement: str,
    red_lines: str,
    photo=None,
    now=None,
) -> Candidate:
    """Nominate (or change) `party`'s candidate; its own staff only, until voting opens.
    `photo`: a new photo already checked and re-encoded (alliance/images.py), or None to
    keep the one there is. A new photo is a change like any other: acceptances reset."""
    primary = _locked(primary)
    candidate_check_editable(primary=primary, user=user, party=party, now=now)
    candidate = Candidate.objects.filter(primary=primary, party=party).first()
    fields = {"name": name.strip(), "statement": statement.strip(), "red_lines": red_lines.strip()}
    unchanged = candidate is not None and all(getattr(candidate, k) == v for k, v in fields.items())
    if unchanged and photo is None:
        return candidate
    if candidate is None:
        candidate = Candidate(primary=primary, party=party, draw=secrets.randbits(62))
    for key, value in fields.items():
        setattr(candidate, key, value)
    if photo is not None:
        candidate.photo.save(photo.name, photo, save=False)
    candidate.updated_at = timezone.now()
    candidate.full_clean(exclude=["primary", "party"], validate_constraints=False)
    candidate.save()
    _acceptances_reset(primary, actor=user, why=f"{party.name}'s candidate changed.")
    return candidate


@transaction.atomic
def primary_accept(*, primary: Primary, user, party: Party, now=None) -> Primary:
    """`party` accepts the rules and candidates as they stand. Nothing opens until all have."""
    primary = _locked(primary)
    acceptance_check_allowed(primary=primary, user=user, party=party, now=now)
    if not primary.has_dates:
        raise ValidationError("Set the rules (dates and who may vote) before accepting them.")
    if primary.candidates.count() < 2:
        raise ValidationError("A primary needs at least two candidates.")
    if primary.voting_closes_at <= (now or timezone.now()):
        raise ValidationError("Voting would already have closed: change the dates first.")
    _, created = PrimaryAcceptance.objects.get_or_create(
        primary=primary,
        party=party,
        defaults={"accepted_by": user, "rules_version": primary.rules_version},
    )
    if not created:
        return primary
    _history(primary, actor=user, action="accepted", detail=f"Accepted for {party.name}")
    involved = set(primary.agreement.parties.values_list("party_id", flat=True))
    accepted = set(primary.acceptances.values_list("party_id", flat=True))
    if accepted >= involved:
        primary.status = PrimaryStatus.AGREED
        primary.agreed_at = timezone.now()
        primary.save(update_fields=["status", "agreed_at"])
        _history(primary, actor=user, action="agreed", detail="Every party accepted the rules.")
        advice_changed()  # the seat's advice page now points voters to the primary
    return primary


# --- "Can I vote?" and registration --------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    answer: str  # "yes", "no" or "check" (a person will check)
    reason: str
    postcode: str = ""


def postcode_eligibility(*, primary: Primary, postcode: str) -> Eligibility:
    """Is this postcode inside the primary's constituency? Asks the postcode lookup."""
    try:
        postcode = postcode_normalise(postcode)
    except InvalidPostcode as error:
        return Eligibility("no", str(error))
    seat = primary.agreement.constituency
    location = postcode_lookup(postcode)
    if location is None or not location.constituency_code:
        return Eligibility(
            "check",
            "We could not check that postcode automatically. You can still register: a person "
            "will check your registration before voting opens.",
            postcode,
        )
    if location.constituency_code == seat.ons_code:
        return Eligibility("yes", f"{postcode} is in {seat.name}.", postcode)
    from seats.models import Constituency

    elsewhere = Constituency.objects.current().filter(ons_code=location.constituency_code).first()
    where = f"in {elsewhere.name}" if elsewhere else "in another constituency"
    return Eligibility(
        "no", f"{postcode} is {where}, not in {seat.name}: only residents can vote.", postcode
    )


def can_i_vote(*, primary: Primary, postcode: str, now=None) -> Eligibility:
    """The pre-check, before or during registration: the postcode, then the dates and rules."""
    found = postcode_eligibility(primary=primary, postcode=postcode)
    if found.answer == "no":
        return found
    reason = found.reason
    if primary.electorate == Electorate.MEMBERS:
        reason += " You must also be a member of one of the parties taking part."
    phase = primary.phase(now)
    if phase == Phase.NOT_YET_OPEN:
        opens = timezone.localtime(primary.registration_opens_at)
        reason += f" Registration opens on {opens:%-d %B %Y at %H:%M}."
    elif phase == Phase.REGISTRATION:
        closes = timezone.localtime(primary.registration_closes_at)
        reason += f" Register by {closes:%-d %B %Y at %H:%M}."
    else:
        return Eligibility("no", "Registration for this primary has closed.", found.postcode)
    return Eligibility(found.answer, reason, found.postcode)


@dataclass(frozen=True)
class RegisterOutcome:
    voter: Voter
    created: bool
    resent: bool = False


@transaction.atomic
def voter_register(
    *, primary: Primary, email: str, postcode: str, declared_member: bool = False, now=None
) -> RegisterOutcome:
    """Register by email link. One registration per person (email normalised as petitions do);
    a postcode outside the seat is refused and nothing is kept; a postcode the lookup cannot
    place is kept, held for a person to review once the email is confirmed. The confirmation
    email is written to the outbox in the same transaction."""
    registration_check_open(primary=primary, now=now)
    email = email.strip()
    if email_is_disposable(email):
        raise ValidationError({"email": "Please use a permanent email address."})
    if primary.electorate == Electorate.MEMBERS and not declared_member:
        raise ValidationError(
            {"declared_member": "Only members of the parties taking part can vote in this one."}
        )
    found = postcode_eligibility(primary=primary, postcode=postcode)
    if found.answer == "no":
        raise ValidationError({"postcode": found.reason})
    voter = Voter(
        primary=primary,
        email=email,
        email_normalised=email_normalise(email),
        postcode=found.postcode,
        postcode_verified=found.answer == "yes",
        declared_member=declared_member,
    )
    voter.full_clean(exclude=["primary"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            voter.save(force_insert=True)
    except IntegrityError:
        return _register_again(voter)
    _confirmation_allowed(voter)  # the first email counts towards the limit on resending
    _confirmation_email(voter)
    return RegisterOutcome(voter=voter, created=True)


def _register_again(attempt: Voter) -> RegisterOutcome:
    """The same person again: a fresh link if still unconfirmed (rate-limited; the newest link
    is the one that works)."""
    existing = Voter.objects.select_for_update().get(
        primary=attempt.primary, email_normalised=attempt.email_normalised
    )
    if existing.status != VoterStatus.UNCONFIRMED:
        return RegisterOutcome(voter=existing, created=False)
    if not _confirmation_allowed(existing):
        return RegisterOutcome(voter=existing, created=False)
    existing.primary = attempt.primary
    _confirmation_email(existing)
    return RegisterOutcome(voter=existing, created=False, resent=True)


def _link(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(f"primaries:{name}", kwargs={"token": token})


def _confirmation_allowed(voter: Voter) -> bool:
    """At most one confirmation email per registration per PRIMARIES_RESEND_SECONDS: counts
    this one (so repeated registering cannot flood someone's inbox)."""
    return not rate_limit_exceeded(
        scope="primary-confirmation",
        key=str(voter.pk),
        limit=1,
        period_seconds=settings.PRIMARIES_RESEND_SECONDS,
    )


def _confirmation_email(voter: Voter) -> None:
    """A new confirmation link: only its hash is kept on the roll; the link itself is in the
    email (and its outbox row, deleted with the primary's other voter emails at the count)."""
    token = secrets.token_urlsafe(32)
    voter.confirm_token_hash = secret_hash(token)
    voter.confirmations_sent += 1
    voter.save(update_fields=["confirm_token_hash", "confirmations_sent"])
    emails.registration_confirm(
        voter=voter, confirm_url=_link("confirm", token), attempt=voter.confirmations_sent
    )


def voter_for_confirm_token(token: str) -> Voter | None:
    return (
        Voter.objects.select_related("primary__agreement__constituency")
        .filter(confirm_token_hash=secret_hash(token or ""))
        .first()
    )


@transaction.atomic
def voter_confirm(*, token: str, now=None) -> Voter:
    """POST only (mail scanners open links). Registered at once if the postcode was placed
    in the seat; held for review otherwise."""
    voter = (
        Voter.objects.select_for_update(of=("self",))
        .select_related("primary__agreement__constituency")
        .filter(confirm_token_hash=secret_hash(token or ""))
        .first()
    )
    if voter is None:
        raise PermissionDenied("This link is not valid (or the registration was removed).")
    if voter.status != VoterStatus.UNCONFIRMED:
        return voter
    registration_check_open(primary=voter.primary, now=now)
    voter.status = VoterStatus.REGISTERED if voter.postcode_verified else VoterStatus.HELD
    voter.confirmed_at = timezone.now()
    voter.save(update_fields=["status", "confirmed_at"])
    return voter


@transaction.atomic
def voter_review(
    *, primary: Primary, voter: Voter, user, strike: bool, reason: str = "", now=None
) -> Voter:
    """Staff approve a held registration, or strike one off with a recorded reason; before
    voting opens only."""
    primary = _locked(primary)
    voter = Voter.objects.select_for_update().get(pk=voter.pk)
    voter_check_reviewable(primary=primary, voter=voter, user=user, now=now)
    reason = reason.strip()
    if strike and not reason:
        raise ValidationError({"reason": "Give the reason for striking this registration."})
    if not strike and voter.status != VoterStatus.HELD:
        raise ValidationError("Only held registrations need approving.")
    voter.status = VoterStatus.STRUCK if strike else VoterStatus.REGISTERED
    voter.reviewed_by, voter.reviewed_at, voter.review_reason = user, timezone.now(), reason
    voter.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    _history(
        primary,
        actor=user,
        action="struck off" if strike else "approved",
        detail=f"Registration {voter.pk}" + (f": {reason}" if reason else ""),
    )
    return voter


# --- Voting ----------------------------------------------------------------------------------


def ballots_send_due(*, now=None, limit: int = 200) -> int:
    """Email each registered voter their own ballot link once voting is open: one row claimed,
    token made, key recorded and email sent in one transaction, so each is sent once."""
    now = now or timezone.now()
    ids = list(
        Voter.objects.awaiting_ballot()
        .filter(primary__in=Primary.objects.voting_open(now))
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        with transaction.atomic():
            voter = (
                Voter.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("primary__agreement__constituency")
                .awaiting_ballot()
                .filter(pk=pk)
                .first()
            )
            if voter is None:
                continue
            token = secrets.token_urlsafe(32)
            voter.ballot_token_hash = secret_hash(token)
            voter.ballot_sent_at = now
            voter.save(update_fields=["ballot_token_hash", "ballot_sent_at"])
            emails.ballot_link(voter=voter, vote_url=_link("vote", token))
            sent += 1
    return sent


@dataclass(frozen=True)
class BallotPaper:
    """What the ballot page needs, read without locking."""

    primary: Primary
    voter_status: str
    voted: bool


def ballot_paper(*, token: str) -> BallotPaper | None:
    voter = (
        Voter.objects.select_related(
            "primary__agreement__constituency", "primary__agreement__election"
        )
        .filter(ballot_token_hash=secret_hash(token or ""))
        .first()
    )
    if voter is None:
        return None
    return BallotPaper(primary=voter.primary, voter_status=voter.status, voted=voter.voted)


# One statement: lock the roll row, share-lock the primary (the count takes it FOR UPDATE, so it
# waits for ballots being cast, and a ballot cast after the count has started sees it counted),
# and read the candidates.
_CAST_LOCK_SQL = """
SELECT v.id, v.primary_id, v.status, v.voted, p.status, p.voting_opens_at, p.voting_closes_at,
       ARRAY(SELECT c.id FROM primaries_candidate c WHERE c.primary_id = p.id)
FROM primaries_voter v JOIN primaries_primary p ON p.id = v.primary_id
WHERE v.ballot_token_hash = %s
FOR UPDATE OF v FOR KEY SHARE OF p
"""


@transaction.atomic
def ballot_cast(*, token: str, ranking: list[int]) -> str:
    """Cast one secret ballot; returns the receipt code (shown once, stored only hashed).

    In one transaction and four statements whatever the size of the roll or the box: lock
    the roll row, check, mark it voted, insert the ballot. The ballot carries nothing that
    points back at the roll row.
    """
    with connection.cursor() as cursor:
        cursor.execute(_CAST_LOCK_SQL, [secret_hash(token or "")])
        row = cursor.fetchone()
    if row is None:
        raise PermissionDenied("This ballot link is not valid.")
    voter_id, primary_id, voter_status, voted, status, opens, closes, candidate_ids = row
    ballot_check_castable(
        status=status,
        voting_opens_at=opens,
        voting_closes_at=closes,
        voter_status=voter_status,
        voted=voted,
        now=timezone.now(),  # read after the locks are held
    )
    if not ranking:
        raise ValidationError("Rank at least one candidate.")
    if len(set(ranking)) != len(ranking) or not set(ranking) <= set(candidate_ids):
        raise ValidationError("Each candidate can be ranked once.")
    Voter.objects.filter(pk=voter_id).update(voted=True)
    receipt = receipt_new()
    Ballot.objects.create(
        primary_id=primary_id, ranking=ranking, receipt_hash=secret_hash(receipt_normalise(receipt))
    )
    return receipt


def receipt_is_counted(*, primary: Primary, code: str) -> bool:
    """Is a ballot with this receipt in the box? Says nothing about how it was marked."""
    code = receipt_normalise(code)
    if len(code) != 16:
        return False
    return Ballot.objects.filter(primary=primary, receipt_hash=secret_hash(code)).exists()


# --- Counting ----------------------------------------------------------------------------------


def _rounds_json(result: counting.Count, names: dict[int, str]) -> list[dict]:
    return [
        {
            "tallies": [
                {"candidate": cid, "name": names[cid], "votes": votes}
                for cid, votes in sorted(r.tallies.items(), key=lambda kv: (-kv[1], names[kv[0]]))
            ],
            "exhausted": r.exhausted,
            "eliminated": r.eliminated,
            "eliminated_name": names.get(r.eliminated, ""),
            "tie_broken": r.tie_broken,
        }
        for r in result.rounds
    ]


# At the close the box is copied to a temporary table under new random ids, counted there by
# distinct ranking (a few hundred rows come back, not 100,000), emptied, and refilled in the
# order of the new ids. In the database, not through Python: 100,000 ballots take seconds.
_BOX_COPY_SQL = (
    "CREATE TEMPORARY TABLE primaries_box_shuffle ON COMMIT DROP AS "
    "SELECT gen_random_uuid() AS id, ranking, receipt_hash FROM primaries_ballot "
    "WHERE primary_id = %(primary)s"
)
_BOX_TALLY_SQL = "SELECT ranking, count(*) FROM primaries_box_shuffle GROUP BY ranking"
_BOX_REFILL_SQL = [
    "DELETE FROM primaries_ballot WHERE primary_id = %(primary)s",
    "INSERT INTO primaries_ballot (id, primary_id, ranking, receipt_hash) "
    "SELECT id, %(primary)s, ranking, receipt_hash FROM primaries_box_shuffle ORDER BY id",
    "DROP TABLE primaries_box_shuffle",
]


def _box_count_and_rewrite(primary: Primary, candidate_ids: list[int]) -> counting.Count:
    """Count the box, and rewrite it so that PostgreSQL's own row bookkeeping no longer pairs
    a ballot with the roll row marked in the same transaction (README.md, "The secret
    ballot"): every ballot is re-inserted by this transaction (one `xmin` for all of them),
    under a new random id, in the order of those ids (its physical place, `ctid`, says
    nothing about when it was cast). Dead row versions stay until VACUUM, which is queued
    after the commit (`ballots_vacuum_task`)."""
    params = {"primary": primary.pk}
    with connection.cursor() as cursor:
        cursor.execute(_BOX_COPY_SQL, params)
        cursor.execute(_BOX_TALLY_SQL)
        result = counting.count_grouped(candidate_ids, cursor.fetchall(), primary.counting_method)
        for statement in _BOX_REFILL_SQL:
            cursor.execute(statement, params)
    return result


def ballots_vacuum() -> None:
    """VACUUM the box and the roll: the row versions the count's rewrite left dead (each with
    its casting transaction's id) are removed once no open transaction can still see them.
    Outside any transaction (VACUUM cannot run in one); harmless to run twice."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM primaries_ballot, primaries_voter")


@transaction.atomic
def primary_count(*, primary_id: int, now=None) -> bool:
    """Count a primary whose voting has closed, once. The winner's party carries the
    alliance's hopes in the agreement and the others stand aside (through the seats service);
    every party's staff are emailed after commit."""
    now = now or timezone.now()
    primary = (
        Primary.objects.select_for_update(of=("self",))
        .select_related("agreement")
        .due_for_count(now)
        .filter(pk=primary_id)
        .first()
    )
    if primary is None:
        return False
    candidates = list(primary.candidates.select_related("party"))
    names = {c.pk: f"{c.name} ({c.party.name})" for c in candidates}
    result = _box_count_and_rewrite(primary, [c.pk for c in candidates])
    primary.result = {
        "method": result.method,
        "ballots": result.ballots,
        "rounds": _rounds_json(result, names),
        "tie_break": "fewest votes in the latest earlier round where they differ, then the "
        "later in the ballot order drawn at nomination",
    }
    enqueue_after_commit(ballots_vacuum_task)
    primary.winner = next((c for c in candidates if c.pk == result.winner), None)
    primary.ballot_count = result.ballots
    primary.registered_count = primary.roll.registered().count()
    primary.status = PrimaryStatus.COUNTED
    primary.counted_at = now
    primary.save()
    primary = Primary.objects.select_related("agreement__constituency", "winner__party").get(
        pk=primary.pk
    )
    detail = f"{result.ballots} ballots, {len(result.rounds)} rounds"
    _history(primary, actor=None, action="counted", detail=detail)
    if primary.winner is not None and primary.agreement.status == AgreementStatus.WITHDRAWN:
        # A withdrawn agreement has no roles to change; the result still stands on record.
        _history(primary, actor=None, action="not applied", detail="The agreement was withdrawn.")
    elif primary.winner is not None:
        agreement_carrier_set(
            agreement=primary.agreement,
            party=primary.winner.party,
            detail=f"{primary.winner.party.name} won the open primary ({detail}).",
        )
    # The links in the voters' emails are of no use any more: their outbox rows go now.
    OutboxEmail.objects.filter(key__startswith=emails.key_prefix(primary.pk)).exclude(
        key__startswith=f"{emails.key_prefix(primary.pk)}result:"
    ).delete()
    _result_emails(primary)
    return True


def primaries_count_due(*, now=None) -> int:
    ids = list(Primary.objects.due_for_count(now or timezone.now()).values_list("pk", flat=True))
    return sum(primary_count(primary_id=pk, now=now) for pk in ids)


def _result_emails(primary: Primary) -> None:
    """Every staff member of every party in the agreement, once each (keyed), in the count's
    transaction."""
    party_ids = primary.agreement.parties.values_list("party_id", flat=True)
    staff = (
        PartyStaff.objects.filter(party_id__in=party_ids)
        .select_related("user", "party")
        .order_by("pk")
    )
    result_url = settings.SITE_URL + reverse("primaries:result", kwargs={"pk": primary.pk})
    for role in staff:
        emails.result_to_staff(
            user=role.user, party=role.party, primary=primary, result_url=result_url
        )


def ballots_csv_rows(*, primary: Primary):
    """The anonymised ballot file: one row per ballot, candidates' names in preference order,
    rows in the box's random order. No receipt codes (a receipt plus a ranking would let a
    voter prove how they voted, which is what makes buying votes possible)."""
    names = {c.pk: f"{c.name} ({c.party.name})" for c in primary.candidates.select_related("party")}
    width = len(names)
    yield ["ballot", *[f"preference {i}" for i in range(1, width + 1)]]
    rankings = Ballot.objects.filter(primary=primary).values_list("ranking", flat=True)
    for number, ranking in enumerate(rankings.iterator(chunk_size=5000), start=1):
        row = [names.get(cid, "") for cid in ranking]
        yield [number, *row, *[""] * (width - len(row))]


# --- Personal data -----------------------------------------------------------------------------


@transaction.atomic
def rolls_delete_due(*, now=None) -> int:
    """Delete the voter roll a set time after the result (PRIMARIES_ROLL_RETENTION_DAYS).
    The counts stay on the primary; the ballots never named anyone."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.PRIMARIES_ROLL_RETENTION_DAYS)
    done = 0
    for primary in Primary.objects.select_for_update().roll_due_for_deletion(before):
        deleted, _ = primary.roll.all().delete()
        primary.roll_deleted_at = now
        primary.save(update_fields=["roll_deleted_at"])
        _history(primary, actor=None, action="roll deleted", detail=f"{deleted} registrations")
        done += 1
    return done

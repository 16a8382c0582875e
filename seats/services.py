"""Writes for seats: agreements between parties and vote swaps."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import user_has_verified_email
from alliance.links import absolute_url
from alliance.tasks import enqueue_after_commit
from groups.models import Party
from groups.permissions import user_staff_party_ids
from outbox.emails import email_absolute_url
from outbox.services import email_enqueue
from seats.analysis import reciprocity_ledger
from seats.models import (
    CARRIER_CHOSEN_ACTION,
    AdviceAlert,
    Agreement,
    AgreementAcceptance,
    AgreementHistory,
    AgreementParty,
    AgreementRole,
    AgreementStatus,
    BoundarySet,
    Constituency,
    Election,
    ElectionKind,
    SwapStatus,
    VoteSwap,
    VoteSwapRegistration,
    VoteSwapState,
)
from seats.party_codes import DEFAULT_BLOC
from seats.permissions import user_can_act_for_party, user_staff_parties_in
from seats.postcodes import InvalidPostcode, postcode_lookup, postcode_normalise
from seats.targets import advice_changed
from seats.tasks import advice_alerts_notify_task, vote_swap_notify_task, vote_swaps_match_task

SWAP_CONFIRM_HOURS = 72

# --- Agreements ------------------------------------------------------------------------------


def _snapshot(agreement: Agreement) -> dict:
    return {
        "status": agreement.status,
        "arrangement": agreement.arrangement,
        "terms": agreement.terms,
        "red_lines": agreement.red_lines,
        "parties": sorted(
            [ap.party.short_name, ap.role] for ap in agreement.parties.select_related("party")
        ),
        "accepted": sorted(agreement.acceptances.values_list("party__short_name", flat=True)),
    }


def _history(agreement: Agreement, *, actor, action: str, detail: str = "") -> AgreementHistory:
    return AgreementHistory.objects.create(
        agreement=agreement,
        actor=actor,
        action=action,
        detail=detail,
        snapshot=_snapshot(agreement),
    )


AGREEMENT_EMAIL_SUBJECTS = {
    "proposed": "Pact proposed in {seat}",
    "accepted": "Pact in {seat}: {detail}",
    "agreed": "Pact agreed in {seat}",
    "terms changed": "Pact in {seat}: the terms changed, please accept again",
    "withdrawn": "Pact in {seat} withdrawn",
}


def agreement_staff_recipients(agreement: Agreement):
    """Staff of every party in the agreement who cover the seat (the whole UK, or its region)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    party_ids = list(agreement.parties.values_list("party_id", flat=True))
    region = agreement.constituency.region
    return (
        get_user_model()
        .objects.filter(
            party_staff_roles__party_id__in=party_ids,
            is_active=True,
        )
        .filter(Q(party_staff_roles__region="") | Q(party_staff_roles__region=region))
        .distinct()
        .order_by("pk")
    )


def _agreement_notify(agreement: Agreement, event: AgreementHistory) -> int:
    """Email the event to the staff of every party in the agreement except whoever did it: one
    email per (agreement, history event, recipient), so a retried transaction or a second call
    sends nothing more."""
    seat = agreement.constituency
    subject = AGREEMENT_EMAIL_SUBJECTS[event.action].format(seat=seat.name, detail=event.detail)
    url = email_absolute_url(agreement.get_absolute_url())
    sent = 0
    for user in agreement_staff_recipients(agreement):
        if event.actor_id == user.pk or not user.email:
            continue
        created = email_enqueue(
            key=f"agreement:{agreement.pk}:{event.pk}:{user.pk}",
            to=user.email,
            subject=subject,
            template="seats/email/agreement_event",
            context={
                "agreement": agreement,
                "event": event,
                "seat": seat,
                "election": agreement.election,
                "url": url,
            },
        )
        sent += created is not None
    return sent


@transaction.atomic
def agreement_propose(
    *,
    user,
    election: Election,
    constituency: Constituency,
    arrangement: str,
    carries_hopes: Party,
    stands_aside: list[Party] = (),
    endorses: list[Party] = (),
    terms: str = "",
    red_lines: str = "",
) -> Agreement:
    """A new agreement for one seat; the proposer must be staff of one of its parties."""
    others = list(stands_aside) + list(endorses)
    involved = [carries_hopes, *others]
    if not others:
        raise ValidationError("Name at least one party that stands aside or endorses.")
    if len({p.pk for p in involved}) != len(involved):
        raise ValidationError("Each party can have only one role in an agreement.")
    outside = sorted(p.name for p in involved if p.short_name not in DEFAULT_BLOC)
    if outside:
        raise ValidationError(
            f"Only the parties of the progressive bloc can be in a pact, not {', '.join(outside)}."
        )
    if constituency.boundary_set != election.boundary_set:
        raise ValidationError("That constituency is not on this election's boundaries.")
    if not election.covers(constituency):
        raise ValidationError(f"The {election.name} is not held in {constituency.name}.")
    if not user_staff_parties_in(user=user, party_ids={p.pk for p in involved}):
        raise PermissionDenied("You can only propose agreements that involve your own party.")
    agreement = Agreement(
        election=election,
        constituency=constituency,
        arrangement=arrangement,
        terms=terms,
        red_lines=red_lines,
        proposed_by=user,
    )
    agreement.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError:
        raise ValidationError("There is already a live agreement for this seat at this election.")
    AgreementParty.objects.bulk_create(
        [AgreementParty(agreement=agreement, party=carries_hopes, role=AgreementRole.CARRIES_HOPES)]
        + [
            AgreementParty(agreement=agreement, party=p, role=AgreementRole.STANDS_ASIDE)
            for p in stands_aside
        ]
        + [
            AgreementParty(agreement=agreement, party=p, role=AgreementRole.ENDORSES)
            for p in endorses
        ]
    )
    proposed = _history(agreement, actor=user, action="proposed")
    # The proposer's own party (or parties) accepts on proposing.
    own = user_staff_party_ids(user) & {p.pk for p in involved}
    for party in (p for p in involved if p.pk in own):
        AgreementAcceptance.objects.create(agreement=agreement, party=party, accepted_by=user)
    if own:
        agreement.status = (
            AgreementStatus.AGREED
            if own >= {p.pk for p in involved}
            else AgreementStatus.NEGOTIATING
        )
        agreement.save(update_fields=["status"])
        names = ", ".join(p.name for p in involved if p.pk in own)
        _history(agreement, actor=user, action="accepted", detail=f"Accepted for {names}")
        if agreement.status == AgreementStatus.AGREED:  # one person is staff of every party
            _history(agreement, actor=user, action="agreed", detail="Every party has accepted.")
            advice_alerts_queue(agreement.constituency_id)
    _agreement_notify(agreement, proposed)
    return agreement


def _locked(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


@transaction.atomic
def agreement_accept(*, agreement: Agreement, user, party: Party, notify: bool = True) -> Agreement:
    """`party` accepts, by one of its own staff. Agreed once every party has accepted.
    `notify=False` when a package is accepted: the package sends one email for all its seats."""
    if not user_can_act_for_party(user=user, party=party):
        raise PermissionDenied(f"Only {party.name} staff can accept for {party.name}.")
    agreement = _locked(agreement)
    if agreement.status in (AgreementStatus.WITHDRAWN, AgreementStatus.AGREED):
        raise ValidationError(f"This agreement is {agreement.get_status_display().lower()}.")
    involved = set(agreement.parties.values_list("party_id", flat=True))
    if party.pk not in involved:
        raise ValidationError(f"{party.name} is not part of this agreement.")
    _, created = AgreementAcceptance.objects.get_or_create(
        agreement=agreement, party=party, defaults={"accepted_by": user}
    )
    accepted = set(agreement.acceptances.values_list("party_id", flat=True))
    agreement.status = (
        AgreementStatus.AGREED if accepted >= involved else AgreementStatus.NEGOTIATING
    )
    agreement.updated_at = timezone.now()
    agreement.save(update_fields=["status", "updated_at"])
    if created:
        event = _history(
            agreement, actor=user, action="accepted", detail=f"Accepted for {party.name}"
        )
    if agreement.status == AgreementStatus.AGREED and created:
        event = _history(agreement, actor=user, action="agreed", detail="Every party has accepted.")
        advice_alerts_queue(agreement.constituency_id)
    if created and notify:
        _agreement_notify(agreement, event)
    return agreement


@transaction.atomic
def agreement_update_terms(*, agreement: Agreement, user, terms: str, red_lines: str) -> Agreement:
    """Changing the terms voids earlier acceptances: everyone must accept the new text."""
    agreement = _locked(agreement)
    involved = set(agreement.parties.values_list("party_id", flat=True))
    if not user_staff_parties_in(user=user, party_ids=involved):
        raise PermissionDenied("Only staff of the parties in this agreement can change it.")
    if agreement.status == AgreementStatus.WITHDRAWN:
        raise ValidationError("This agreement has been withdrawn.")
    if (terms, red_lines) == (agreement.terms, agreement.red_lines):
        return agreement
    agreement.terms, agreement.red_lines = terms, red_lines
    agreement.full_clean(validate_constraints=False)
    agreement.acceptances.all().delete()
    agreement.status = AgreementStatus.NEGOTIATING
    agreement.updated_at = timezone.now()
    agreement.save()
    event = _history(agreement, actor=user, action="terms changed", detail="Acceptances reset.")
    if agreement.package_id is not None:  # the package was accepted with the old terms
        from seats.packages import package_acceptances_reset

        package_acceptances_reset(
            package_id=agreement.package_id,
            user=user,
            detail=f"The terms in {agreement.constituency.name} changed.",
        )
    advice_alerts_queue(agreement.constituency_id)
    _agreement_notify(agreement, event)
    return agreement


@transaction.atomic
def agreement_withdraw(
    *, agreement: Agreement, user, party: Party, reason: str = "", notify: bool = True
) -> Agreement:
    """Any involved party (by its own staff) can withdraw, even after it was agreed.
    `notify=False` when a package is rejected: the package sends one email for all its seats."""
    if not user_can_act_for_party(user=user, party=party):
        raise PermissionDenied(f"Only {party.name} staff can withdraw {party.name}.")
    agreement = _locked(agreement)
    if not agreement.parties.filter(party=party).exists():
        raise ValidationError(f"{party.name} is not part of this agreement.")
    if agreement.status == AgreementStatus.WITHDRAWN:
        return agreement
    agreement.status = AgreementStatus.WITHDRAWN
    agreement.updated_at = timezone.now()
    agreement.save(update_fields=["status", "updated_at"])
    event = _history(
        agreement, actor=user, action="withdrawn", detail=f"{party.name}: {reason}".strip(": ")
    )
    advice_alerts_queue(agreement.constituency_id)
    if notify:
        _agreement_notify(agreement, event)
    return agreement


@transaction.atomic
def agreement_carrier_set(
    *, agreement: Agreement, party: Party, actor=None, detail: str = ""
) -> Agreement:
    """`party` now carries the alliance's hopes and every other party in the agreement stands
    aside. For outcomes the parties agreed in advance (an open primary's result, under rules
    every party accepted), so the acceptances stand."""
    agreement = _locked(agreement)
    if agreement.status == AgreementStatus.WITHDRAWN:
        raise ValidationError("This agreement has been withdrawn.")
    if not agreement.parties.filter(party=party).exists():
        raise ValidationError(f"{party.name} is not part of this agreement.")
    # The others first: at most one carrier at any moment (agreementparty_one_carrier).
    agreement.parties.exclude(party=party).update(role=AgreementRole.STANDS_ASIDE)
    agreement.parties.filter(party=party).update(role=AgreementRole.CARRIES_HOPES)
    agreement.updated_at = timezone.now()
    agreement.save(update_fields=["updated_at"])
    _history(agreement, actor=actor, action=CARRIER_CHOSEN_ACTION, detail=detail or party.name)
    return agreement


def reciprocity_rows(*, election=None, region: str = "", package=None):
    """The ledger over agreed pacts, stand-asides and endorsements (1 query), optionally for
    one election, one region or one package."""
    links = AgreementParty.objects.filter(agreement__status=AgreementStatus.AGREED)
    if election is not None:
        links = links.filter(agreement__election=election)
    if region:
        links = links.filter(agreement__constituency__region=region)
    if package is not None:
        links = links.filter(agreement__package=package)
    roles: dict[int, dict] = {}
    for agreement_id, short_name, role in links.values_list(
        "agreement_id", "party__short_name", "role"
    ):
        entry = roles.setdefault(agreement_id, {"carrier": None, "aside": [], "endorse": []})
        if role == AgreementRole.CARRIES_HOPES:
            entry["carrier"] = short_name
        elif role == AgreementRole.STANDS_ASIDE:
            entry["aside"].append(short_name)
        elif role == AgreementRole.ENDORSES:
            entry["endorse"].append(short_name)

    def pairs(kind):
        return [
            (giver, entry["carrier"])
            for entry in roles.values()
            if entry["carrier"]
            for giver in entry[kind]
        ]

    return reciprocity_ledger(pairs("aside"), endorsements=pairs("endorse"))


# --- Where the alliance stands in a seat --------------------------------------------------------


def seat_alliance_party(*, constituency: Constituency, bloc=None):
    """(party the alliance backs there, target score): the carrier of the pact agreed for the
    next election held there (else the latest), else the best-placed progressive party in the
    latest results on these boundaries (even where the bloc holds the seat comfortably)."""
    from seats.targets import seat_advice_for

    found = seat_advice_for(constituency, bloc or DEFAULT_BLOC)
    analysis = found.analysis
    score = analysis.target_score if analysis else None
    if found.results_election is None:
        return None, None
    if found.pact is not None:
        carrier = found.pact.parties.filter(role=AgreementRole.CARRIES_HOPES).first()
        if carrier is not None:
            return carrier.party, score
    if analysis and analysis.best_placed:
        return Party.objects.filter(short_name=analysis.best_placed).first(), score
    return None, score


# --- Vote swaps ----------------------------------------------------------------------------------


@transaction.atomic
def vote_swap_register(
    *, user, preferred_party: Party, postcode: str = "", constituency: Constituency | None = None
) -> VoteSwapRegistration:
    """Join (or re-join) the swap queue. The seat comes from the postcode, else from the list."""
    if not user_has_verified_email(user):
        raise PermissionDenied("Verify your email address before registering for a vote swap.")
    clean_postcode = ""
    if postcode:
        try:
            clean_postcode = postcode_normalise(postcode)
        except InvalidPostcode as error:
            raise ValidationError({"postcode": str(error)})
    if constituency is None and clean_postcode:
        location = postcode_lookup(clean_postcode)
        if location and location.constituency_code:
            constituency = (
                Constituency.objects.current().filter(ons_code=location.constituency_code).first()
            )
    if constituency is None:
        raise ValidationError(
            {"constituency": "We could not find your constituency: choose it from the list."}
        )
    local_party, score = seat_alliance_party(constituency=constituency)
    existing = VoteSwapRegistration.objects.select_for_update().filter(user=user).first()
    if existing and existing.status == SwapStatus.MATCHED:
        raise ValidationError("Cancel your current swap before changing your registration.")
    registration = existing or VoteSwapRegistration(user=user)
    registration.preferred_party = preferred_party
    registration.postcode = clean_postcode
    registration.constituency = constituency
    registration.local_party = local_party
    registration.seat_score = score
    if existing is None or existing.status != SwapStatus.WAITING:
        registration.created_at = timezone.now()  # back of the queue after lapsing/withdrawing
    registration.status = SwapStatus.WAITING
    registration.save()
    _match_soon()
    return registration


def _match_soon() -> None:
    enqueue_after_commit(vote_swaps_match_task)


def swap_pair_key(registration: VoteSwapRegistration) -> tuple[int, int] | None:
    """(wants, votes-for-locally); None when there is nothing to swap."""
    if registration.local_party_id is None:
        return None
    if registration.local_party_id == registration.preferred_party_id:
        return None
    return registration.preferred_party_id, registration.local_party_id


@transaction.atomic
def vote_swaps_match(*, now=None) -> list[VoteSwap]:
    """Pair waiting registrations. Fair: the earliest registration is matched first, with the
    earliest compatible partner; among partners registered at the same moment, the one in the
    seat with the higher target score. Never the same person, never the same constituency,
    never more than one active swap each (rows locked; idempotent if run twice)."""
    now = now or timezone.now()
    waiting = list(
        VoteSwapRegistration.objects.select_for_update(skip_locked=True)
        .filter(status=SwapStatus.WAITING)
        .order_by("created_at", "pk")
    )
    used: set[int] = set()
    swaps = []
    for a in waiting:
        key = swap_pair_key(a)
        if a.pk in used or key is None:
            continue
        wants, local = key
        candidates = [
            b
            for b in waiting
            if b.pk not in used
            and b.pk != a.pk
            and b.user_id != a.user_id
            and b.constituency_id != a.constituency_id
            and swap_pair_key(b) == (local, wants)
        ]
        if not candidates:
            continue
        b = min(candidates, key=lambda r: (r.created_at, -(r.seat_score or 0), r.pk))
        first, second = sorted([a, b], key=lambda r: r.pk)
        swaps.append(
            VoteSwap.objects.create(
                a=first, b=second, expires_at=now + timedelta(hours=SWAP_CONFIRM_HOURS)
            )
        )
        used.update({a.pk, b.pk})
    VoteSwapRegistration.objects.filter(pk__in=used).update(status=SwapStatus.MATCHED)
    for swap in swaps:
        _notify_soon(swap.pk)
    return swaps


def _notify_soon(swap_id: int) -> None:
    enqueue_after_commit(vote_swap_notify_task, swap_id)


@transaction.atomic
def vote_swap_notify(*, swap_id: int) -> bool:
    """Email both people that they have a match (no contact details), through the outbox in
    the same transaction as `notified_at`: once only."""
    swap = (
        VoteSwap.objects.select_for_update(of=("self",))
        .select_related(
            "a__user",
            "b__user",
            "a__constituency",
            "b__constituency",
            "a__local_party",
            "b__local_party",
        )
        .filter(pk=swap_id)
        .first()
    )
    if swap is None or swap.notified_at is not None or swap.state != VoteSwapState.PROPOSED:
        return False
    url = absolute_url(reverse("seats:swap"))
    deadline = timezone.localtime(swap.expires_at).strftime("%-d %B %Y, %H:%M")
    for me, partner in ((swap.a, swap.b), (swap.b, swap.a)):
        email_enqueue(
            key=f"vote-swap-match:{swap.pk}:{me.pk}",
            to=me.user.email,
            subject="We found you a vote swap partner",
            template="seats/email/vote_swap_match",
            context={
                "name": me.user.display_name,
                "seat": me.constituency.name,
                "local": me.local_party.name,
                "preferred": partner.local_party.name,
                "partner_seat": partner.constituency.name,
                "deadline": deadline,
                "url": url,
            },
        )
    swap.notified_at = timezone.now()
    swap.save(update_fields=["notified_at"])
    return True


def vote_swap_active_for(user) -> VoteSwap | None:
    registration = VoteSwapRegistration.objects.filter(user=user).first()
    if registration is None:
        return None
    return (
        VoteSwap.objects.filter(state__in=[VoteSwapState.PROPOSED, VoteSwapState.CONFIRMED])
        .filter(a=registration)
        .select_related("a__user", "b__user", "a__constituency", "b__constituency")
        .first()
        or VoteSwap.objects.filter(state__in=[VoteSwapState.PROPOSED, VoteSwapState.CONFIRMED])
        .filter(b=registration)
        .select_related("a__user", "b__user", "a__constituency", "b__constituency")
        .first()
    )


@transaction.atomic
def vote_swap_confirm(*, user, swap_id: int) -> VoteSwap:
    """`user` confirms their side; the other person is emailed that they did (once)."""
    swap = (
        VoteSwap.objects.select_for_update(of=("self",))
        .select_related(
            "a__user", "b__user", "a__constituency", "b__constituency", "a__local_party",
            "b__local_party",
        )
        .get(pk=swap_id)
    )  # fmt: skip
    if user.pk not in (swap.a.user_id, swap.b.user_id):
        raise PermissionDenied("This is not your swap.")
    if swap.state != VoteSwapState.PROPOSED:
        raise ValidationError(f"This swap is {swap.get_state_display().lower()}.")
    if swap.expires_at <= timezone.now():
        raise ValidationError("This swap has expired.")
    field = "a_confirmed_at" if swap.a.user_id == user.pk else "b_confirmed_at"
    newly = getattr(swap, field) is None
    if newly:
        setattr(swap, field, timezone.now())
    if swap.a_confirmed_at and swap.b_confirmed_at:
        swap.state = VoteSwapState.CONFIRMED
    swap.save()
    if newly:
        me, other = (swap.a, swap.b) if swap.a.user_id == user.pk else (swap.b, swap.a)
        _swap_partner_confirmed_email(swap, confirmed=me, to=other)
    return swap


def _swap_partner_confirmed_email(swap: VoteSwap, *, confirmed, to) -> None:
    """Tell `to` that their partner confirmed: exactly once per swap and person (outbox key)."""
    if not to.user.email:
        return
    binding = swap.state == VoteSwapState.CONFIRMED
    email_enqueue(
        key=f"swap-partner-confirmed:{swap.pk}:{to.user_id}",
        to=to.user.email,
        subject="Your vote swap is agreed"
        if binding
        else "Your vote swap partner has confirmed: please confirm too",
        template="seats/email/swap_partner_confirmed",
        context={
            "name": to.user.display_name,
            "binding": binding,
            "seat": to.constituency.name,
            "local": to.local_party.name if to.local_party else "",
            "partner_seat": confirmed.constituency.name,
            "partner_votes": confirmed.local_party.name if confirmed.local_party else "",
            "deadline": timezone.localtime(swap.expires_at).strftime("%-d %B %Y, %H:%M"),
            "url": email_absolute_url(reverse("seats:swap")),
        },
    )


# --- Choosing a partner ---------------------------------------------------------------------

SWAP_OFFERS_MAX = 5


@dataclass(frozen=True)
class SwapOffer:
    registration: VoteSwapRegistration
    benefit: str  # one sentence: what the swap does in both seats


def _seat_situation(found, party: Party) -> str:
    """What `party` stands to do in a seat, in a few words, from its advice."""
    if found is None:
        return "is the alliance's choice"
    carrier = None
    if found.pact is not None:
        carrier = next(
            (
                link.party_id
                for link in found.pact.parties.all()
                if link.role == AgreementRole.CARRIES_HOPES
            ),
            None,
        )
    if carrier == party.pk:
        return "carries the agreed pact"
    analysis = found.analysis
    if analysis is not None and analysis.winner == party.short_name:
        return f"holds the seat by {analysis.majority:,} votes"
    if analysis is not None and analysis.best_placed == party.short_name:
        return f"is {analysis.votes_needed:,} votes short of winning"
    return "is the alliance's choice"


def swap_benefit(*, me: VoteSwapRegistration, partner: VoteSwapRegistration, mine, theirs) -> str:
    """One sentence: your partner's vote goes to your party in their seat, yours to theirs in
    yours, each with what it can do there (`mine`, `theirs`: the seats' advice)."""
    wanted, local = partner.local_party, me.local_party
    return (
        f"Your partner votes {wanted.name} in {partner.constituency.name}, where "
        f"{wanted.name} {_seat_situation(theirs, wanted)}; you vote {local.name} in "
        f"{me.constituency.name}, where {local.name} {_seat_situation(mine, local)}."
    )


def vote_swap_offers(
    registration: VoteSwapRegistration, *, limit: int = SWAP_OFFERS_MAX
) -> list[SwapOffer]:
    """Up to `limit` waiting people you could swap with, the most winnable seats first (their
    target score; then who has waited longest), each with its benefit in one sentence."""
    from seats.targets import seat_advice_cached

    key = swap_pair_key(registration)
    if registration.status != SwapStatus.WAITING or key is None:
        return []
    wants, local = key
    partners = list(
        VoteSwapRegistration.objects.filter(
            status=SwapStatus.WAITING, preferred_party_id=local, local_party_id=wants
        )
        .exclude(constituency_id=registration.constituency_id)
        .exclude(user_id=registration.user_id)
        .select_related("constituency", "local_party", "preferred_party")
        .order_by(F("seat_score").desc(nulls_last=True), "created_at", "pk")[:limit]
    )
    if not partners:
        return []
    mine = seat_advice_cached(registration.constituency)
    return [
        SwapOffer(
            registration=partner,
            benefit=swap_benefit(
                me=registration,
                partner=partner,
                mine=mine,
                theirs=seat_advice_cached(partner.constituency),
            ),
        )
        for partner in partners
    ]


@transaction.atomic
def vote_swap_choose(*, user, partner_id: int) -> VoteSwap:
    """`user` chooses one of their offers: the swap is proposed with their side confirmed, and
    the partner is emailed to confirm theirs (once)."""
    mine = VoteSwapRegistration.objects.select_for_update().filter(user=user).first()
    if mine is None or mine.status != SwapStatus.WAITING:
        raise ValidationError("Register for a swap first (or leave your current one).")
    partner = (
        VoteSwapRegistration.objects.select_for_update()
        .filter(pk=partner_id, status=SwapStatus.WAITING)
        .first()
    )
    if (
        partner is None
        or partner.user_id == user.pk
        or partner.constituency_id == mine.constituency_id
        or swap_pair_key(mine) is None
        or swap_pair_key(partner) != tuple(reversed(swap_pair_key(mine)))
    ):
        raise ValidationError("That person is no longer free to swap with you.")
    first, second = sorted([mine, partner], key=lambda r: r.pk)
    now = timezone.now()
    swap = VoteSwap.objects.create(
        a=first, b=second, expires_at=now + timedelta(hours=SWAP_CONFIRM_HOURS)
    )
    VoteSwapRegistration.objects.filter(pk__in=[mine.pk, partner.pk]).update(
        status=SwapStatus.MATCHED
    )
    # Choosing is confirming one's own side; the partner hears of it from the same email.
    swap.notified_at = now  # the matcher's "we found you a partner" email is not needed
    swap.save(update_fields=["notified_at"])
    return vote_swap_confirm(user=user, swap_id=swap.pk)


@transaction.atomic
def vote_swap_cancel(*, user) -> None:
    """Leave the queue; an active swap is cancelled and the partner goes back to the queue
    (keeping their place)."""
    registration = VoteSwapRegistration.objects.select_for_update().filter(user=user).first()
    if registration is None:
        return
    swap = vote_swap_active_for(user)
    if swap is not None:
        swap = VoteSwap.objects.select_for_update().get(pk=swap.pk)
        swap.state = VoteSwapState.CANCELLED
        swap.save(update_fields=["state"])
        partner_id = swap.b_id if swap.a_id == registration.pk else swap.a_id
        VoteSwapRegistration.objects.filter(pk=partner_id).update(status=SwapStatus.WAITING)
        _match_soon()
    registration.status = SwapStatus.WITHDRAWN
    registration.save(update_fields=["status"])


@transaction.atomic
def vote_swaps_expire(*, now=None) -> int:
    """Unconfirmed swaps past their deadline: who confirmed goes back to the queue (same place),
    who did not lapses (must register again). Idempotent."""
    now = now or timezone.now()
    expired = list(
        VoteSwap.objects.select_for_update(skip_locked=True).filter(
            state=VoteSwapState.PROPOSED, expires_at__lte=now
        )
    )
    for swap in expired:
        swap.state = VoteSwapState.EXPIRED
        swap.save(update_fields=["state"])
        for reg_id, confirmed in (
            (swap.a_id, swap.a_confirmed_at),
            (swap.b_id, swap.b_confirmed_at),
        ):
            VoteSwapRegistration.objects.filter(pk=reg_id).update(
                status=SwapStatus.WAITING if confirmed else SwapStatus.LAPSED
            )
    if expired:
        _match_soon()
    return len(expired)


def vote_swap_queue_explanation(registration: VoteSwapRegistration) -> dict:
    """Why there is no match yet, and how long the queue is."""
    waiting = VoteSwapRegistration.objects.filter(status=SwapStatus.WAITING)
    info = {
        "waiting_total": waiting.count(),
        "position": waiting.filter(created_at__lt=registration.created_at).count() + 1,
        "reason": "",
        "same_direction": 0,
        "partners_waiting": 0,
    }
    key = swap_pair_key(registration)
    if registration.local_party_id is None:
        info["reason"] = "no_local_party"
    elif key is None:
        info["reason"] = "already_backed"
    else:
        wants, local = key
        info["same_direction"] = waiting.filter(
            preferred_party_id=wants, local_party_id=local
        ).count()
        partners = waiting.filter(preferred_party_id=local, local_party_id=wants)
        info["partners_waiting"] = partners.count()
        info["reason"] = (
            "partners_same_seat"
            if info["partners_waiting"]
            and not partners.exclude(constituency=registration.constituency).exists()
            else "no_partner"
        )
    return info


# --- Upcoming elections ---------------------------------------------------------------------


@transaction.atomic
def election_create_upcoming(
    *,
    user,
    kind: str,
    date,
    name: str = "",
    constituency: Constituency | None = None,
) -> Election:
    """Site staff set up the next general election, or a by-election in one seat, on the 2024
    boundaries, so that pacts, swaps and help can be planned for it before any result."""
    if not (user.is_authenticated and user.is_staff):
        raise PermissionDenied("Only site staff can set up elections.")
    if date < timezone.localdate():
        raise ValidationError({"date": "An upcoming election is today or later."})
    if kind == ElectionKind.GENERAL:
        if constituency is not None:
            raise ValidationError({"constituency": "A general election is held in every seat."})
        slug = f"ge{date:%Y-%m-%d}"
        name = name or f"General election {date:%Y}"
    elif kind == ElectionKind.BY_ELECTION:
        if constituency is None or constituency.boundary_set != BoundarySet.B2024:
            raise ValidationError({"constituency": "Choose the by-election's seat."})
        slug = f"by{date:%Y-%m-%d}-{constituency.ons_code.lower()}"
        name = name or f"{constituency.name} by-election {date:%Y}"
    else:
        raise ValidationError({"kind": "A general election or a by-election."})
    election = Election(
        slug=slug,
        name=name,
        date=date,
        kind=kind,
        boundary_set=BoundarySet.B2024,
        by_election_seat=constituency,
    )
    election.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            election.save()
    except IntegrityError:
        raise ValidationError("That election is already set up.")
    transaction.on_commit(advice_changed, robust=True)
    return election


# --- Advice alerts ---------------------------------------------------------------------------

# Unconfirmed alerts one address may have at once: a stranger cannot make us mail someone much.
ADVICE_ALERTS_UNCONFIRMED_MAX = 3


def _alert_urls(alert: AdviceAlert) -> tuple[str, str]:
    return (
        email_absolute_url(reverse("seats:alert_confirm", args=[alert.token])),
        email_absolute_url(reverse("seats:alert_unsubscribe", args=[alert.token])),
    )


@transaction.atomic
def advice_alert_request(*, email: str, constituency: Constituency) -> AdviceAlert:
    """Ask to be emailed when this seat's advice changes: one confirmation email per address
    and seat, ever (asking again sends nothing more), and only a few unconfirmed at a time."""
    email = BaseUserManager.normalize_email(email.strip())
    alert = AdviceAlert.objects.filter(email__iexact=email, constituency=constituency).first()
    if alert is not None:
        return alert
    if (
        AdviceAlert.objects.filter(email__iexact=email, confirmed_at__isnull=True).count()
        >= ADVICE_ALERTS_UNCONFIRMED_MAX
    ):
        raise ValidationError(
            "This address has alerts waiting for confirmation: confirm those first."
        )
    alert = AdviceAlert(email=email, constituency=constituency)
    alert.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:  # the same request twice at once: the first one wins
        return AdviceAlert.objects.get(email=email, constituency=constituency)
    confirm_url, unsubscribe_url = _alert_urls(alert)
    email_enqueue(
        key=f"advice-alert-confirm:{alert.pk}",
        to=alert.email,
        subject=f"Confirm: advice alerts for {constituency.name}",
        template="seats/email/advice_alert_confirm",
        context={"seat": constituency, "confirm_url": confirm_url},
        unsubscribe_url=unsubscribe_url,
    )
    return alert


@transaction.atomic
def advice_alert_confirm(*, alert: AdviceAlert) -> AdviceAlert:
    """Confirmed from the emailed link; what the advice says now is what the person has seen."""
    from seats.targets import seat_advice_for

    alert = AdviceAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.confirmed_at is None:
        alert.confirmed_at = timezone.now()
        alert.advice_text = seat_advice_for(alert.constituency).advice.text
        alert.save(update_fields=["confirmed_at", "advice_text"])
    return alert


@transaction.atomic
def advice_alert_unsubscribe(*, alert: AdviceAlert) -> None:
    AdviceAlert.objects.filter(pk=alert.pk).delete()


@transaction.atomic
def advice_alerts_notify(*, constituency_id: int) -> int:
    """Email every confirmed alert of this seat whose advice has changed since it last heard.
    Rows are locked and `emails_sent` is part of the outbox key, so running twice sends once."""
    from seats.targets import seat_advice_for

    seat = Constituency.objects.filter(pk=constituency_id).first()
    if seat is None:
        return 0
    now = seat_advice_for(seat)
    sent = 0
    for alert in (
        AdviceAlert.objects.select_for_update()
        .filter(constituency=seat, confirmed_at__isnull=False)
        .exclude(advice_text=now.advice.text)
    ):
        _, unsubscribe_url = _alert_urls(alert)
        email_enqueue(
            key=f"advice-alert:{alert.pk}:{alert.emails_sent + 1}",
            to=alert.email,
            subject=f"New advice for {seat.name}",
            template="seats/email/advice_alert_changed",
            context={
                "seat": seat,
                "advice": now.advice,
                "previous": alert.advice_text,
                "url": email_absolute_url(reverse("seats:advice", args=[seat.ons_code])),
            },
            unsubscribe_url=unsubscribe_url,
        )
        alert.advice_text = now.advice.text
        alert.emails_sent += 1
        alert.save(update_fields=["advice_text", "emails_sent"])
        sent += 1
    return sent


def advice_alerts_queue(constituency_id: int) -> None:
    """After the commit: cached advice is stale, and this seat's alert subscribers are told
    if its advice changed."""
    transaction.on_commit(advice_changed, robust=True)
    enqueue_after_commit(advice_alerts_notify_task, constituency_id)

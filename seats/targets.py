"""Loading an election's results for analysis, in a fixed number of queries."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from alliance import versioned_cache
from seats.advice import Advice, PactTerms, seat_advice
from seats.analysis import SeatAnalysis, SeatVotes, seats_analyse
from seats.models import (
    CARRIER_CHOSEN_ACTION,
    Agreement,
    AgreementHistory,
    AgreementRole,
    Arrangement,
    Constituency,
    Contest,
    Election,
    Result,
)
from seats.party_codes import DEFAULT_BLOC, SPEAKER, canonical_code

CACHE_SECONDS = 60 * 10


@dataclass(frozen=True)
class SeatRow:
    constituency: Constituency
    contest: Contest
    analysis: SeatAnalysis


def election_seat_votes(
    election: Election, contests=None
) -> tuple[dict[int, Contest], list[SeatVotes]]:
    """Contests by constituency id and each seat's votes (2 queries whatever the seat count).

    `contests` narrows the seats (a filtered Contest queryset of this election)."""
    contests = contests if contests is not None else Contest.objects.filter(election=election)
    by_seat = {c.constituency_id: c for c in contests.select_related("constituency")}
    votes: dict[int, dict[str, int]] = {seat_id: {} for seat_id in by_seat}
    for seat_id, short_name, count in Result.objects.filter(
        election=election, constituency_id__in=contests.values("constituency_id")
    ).values_list("constituency_id", "party__short_name", "votes"):
        if seat_id in votes:
            votes[seat_id][short_name] = count
    seats = []
    for seat_id, contest in by_seat.items():
        winner = canonical_code(contest.winner_code)
        other_winner = winner if contest.other_winner_votes or winner == SPEAKER else None
        seats.append(
            SeatVotes(
                votes=votes[seat_id],
                other_winner=other_winner,
                other_winner_votes=contest.other_winner_votes,
                key=str(seat_id),
            )
        )
    return by_seat, seats


def election_seat_rows(election: Election, bloc=DEFAULT_BLOC, contests=None) -> list[SeatRow]:
    """Seats of an election with their analysis under `bloc` (Speaker's seat left out)."""
    by_seat, seats = election_seat_votes(election, contests)
    return [
        SeatRow(by_seat[int(a.key)].constituency, by_seat[int(a.key)], a)
        for a in seats_analyse(seats, bloc)
    ]


# Analysed rows per (election, bloc, results fingerprint), in this process's memory: the rows
# hold model instances, and unpickling 650 of them from Redis was slower than recomputing.
# A few entries only (elections × blocs in use); the fingerprint changes on every import.
_ROWS_CACHE: dict[tuple, list[SeatRow]] = {}
_ROWS_CACHE_SIZE = 12


def results_fingerprint(election: Election) -> tuple:
    """Changes when the election's results are (re)imported or its contests change (1 query)."""
    summary = Contest.objects.filter(election=election).aggregate(n=Count("pk"), last=Max("pk"))
    return (results_version(election), summary["n"], summary["last"])


def election_seat_rows_cached(election: Election, bloc=DEFAULT_BLOC) -> list[SeatRow]:
    """`election_seat_rows` for every seat of the election, analysed once per results version
    (3 queries on a miss, 1 on a hit). Callers narrow and sort copies, never the list itself."""
    key = (election.pk, tuple(sorted(bloc)), results_fingerprint(election))
    rows = _ROWS_CACHE.get(key)
    if rows is None:
        rows = election_seat_rows(election, bloc)
        if len(_ROWS_CACHE) >= _ROWS_CACHE_SIZE:
            _ROWS_CACHE.clear()
        _ROWS_CACHE[key] = rows
    return rows


def results_changed(election: Election) -> None:
    """Called by the importer: cached counts for this election are stale."""
    versioned_cache.changed(f"seats:results:{election.pk}", ADVICE_VERSION)


def results_version(election: Election) -> str | None:
    """Changes whenever the election's results are (re)imported: part of every cache key."""
    return versioned_cache.version(f"seats:results:{election.pk}")


def progressive_majority_lost_total(election: Election, bloc=DEFAULT_BLOC) -> int:
    """Seats won by the Conservatives despite more votes for the bloc (cached per election+bloc)."""
    key = f"seats:pml:{election.pk}:{','.join(sorted(bloc))}:{results_version(election)}"
    value = cache.get(key)
    if value is None:
        value = sum(
            1
            for row in election_seat_rows(election, bloc)
            if row.analysis.progressive_majority_lost
        )
        cache.set(key, value, CACHE_SECONDS)
    return value


# --- Advice: "how should I vote here?" ---------------------------------------------------------


@dataclass(frozen=True)
class SeatAdvice:
    constituency: Constituency
    advice: Advice
    election: Election | None  # the election the advice is for (the next one, if known)
    results_election: Election | None  # whose results it reads
    analysis: SeatAnalysis | None
    pact: Agreement | None


def upcoming_elections(constituency: Constituency):
    """Elections today or later held in this seat (general ones on its boundaries, and its own
    by-elections), soonest first."""
    return (
        Election.objects.filter(
            date__gte=timezone.localdate(), boundary_set=constituency.boundary_set
        )
        .filter(Q(by_election_seat__isnull=True) | Q(by_election_seat=constituency))
        .order_by("date", "pk")
    )


def advice_elections(constituency: Constituency) -> tuple[Election | None, Election | None]:
    """(the election the advice is for, the election whose results it reads) for one seat: the
    next election held there if one is set up, else the latest with results; the results are
    always the latest this seat has on its boundaries (an upcoming contest has none yet)."""
    with_results = (
        Election.objects.filter(contests__constituency=constituency).order_by("-date").first()
    )
    upcoming = upcoming_elections(constituency).exclude(pk=getattr(with_results, "pk", None))
    return upcoming.first() or with_results, with_results


def pact_terms(agreement: Agreement) -> PactTerms:
    """An agreement from `_agreed_pacts` (which annotates `carrier_chosen`) as plain terms."""
    roles: dict[str, list[str]] = {}
    for link in agreement.parties.all():
        roles.setdefault(link.role, []).append(link.party.short_name)
    return PactTerms(
        carries_hopes=(roles.get(AgreementRole.CARRIES_HOPES) or [""])[0],
        stands_aside=tuple(sorted(roles.get(AgreementRole.STANDS_ASIDE, []))),
        endorses=tuple(sorted(roles.get(AgreementRole.ENDORSES, []))),
        primary_pending=agreement.arrangement == Arrangement.OPEN_PRIMARY
        and not agreement.carrier_chosen,
    )


def _agreed_pacts(election: Election | None, seat_ids=None) -> dict[int, Agreement]:
    if election is None:
        return {}
    agreements = Agreement.objects.agreed().filter(election=election)
    if seat_ids is not None:
        agreements = agreements.filter(constituency_id__in=seat_ids)
    chosen = AgreementHistory.objects.filter(
        agreement=OuterRef("pk"), action=CARRIER_CHOSEN_ACTION
    )  # an open primary's result, applied by seats.services.agreement_carrier_set
    agreements = agreements.annotate(carrier_chosen=Exists(chosen))
    return {a.constituency_id: a for a in agreements.prefetch_related("parties__party")}


def seat_advice_for(constituency: Constituency, bloc=DEFAULT_BLOC) -> SeatAdvice:
    """The advice for one seat, from its latest results and the agreed pact (5 queries)."""
    election, results_election = advice_elections(constituency)
    analysis = None
    speaker = False
    if results_election is not None:
        contests = Contest.objects.filter(election=results_election, constituency=constituency)
        by_seat, seats = election_seat_votes(results_election, contests)
        if seats:
            analysed = seats_analyse(seats, bloc)
            analysis = analysed[0] if analysed else None
            speaker = analysis is None
    pact = _agreed_pacts(election, [constituency.pk]).get(constituency.pk)
    advice = seat_advice(
        analysis, pact_terms(pact) if pact else None, bloc=bloc, speaker_seat=speaker
    )
    return SeatAdvice(constituency, advice, election, results_election, analysis, pact)


ADVICE_VERSION = "seats:advice"


def advice_changed() -> None:
    """Pacts, elections or results changed: every cached seat advice is stale."""
    versioned_cache.changed(ADVICE_VERSION)


# Whole pages for anonymous visitors (the target list, a seat's advice page), as rendered HTML
# parts (alliance/versioned_cache.py): dropped when advice_changed() bumps the version (pacts,
# upcoming elections, results) and after at most PAGE_CACHE_SECONDS (what else they show: a
# seat's events and groups). Kept in this process's memory too, where a hit costs nothing: the
# version is read from Redis at most once every VERSION_MEMO_SECONDS per process (at once in
# the process that made the change), so another process shows a change within a second.
PAGE_CACHE_SECONDS = 60
VERSION_MEMO_SECONDS = 1.0


def page_cache_forget_local() -> None:
    """This process's page memory and version memo (in tests)."""
    versioned_cache.forget_local()


def page_cache_get(key: str) -> tuple[dict | None, str | None]:
    """(the page's cached parts if still current, the current version). Pass the version to
    `page_cache_set` after rendering, so a change made meanwhile is never stored under the
    new version."""
    version = versioned_cache.version(ADVICE_VERSION, memo_seconds=VERSION_MEMO_SECONDS)
    return versioned_cache.parts_get(key, version), version


def page_cache_set(key: str, version: str | None, **parts: str) -> None:
    versioned_cache.parts_set(key, version, timeout=PAGE_CACHE_SECONDS, **parts)


def seat_advice_cached(constituency: Constituency, bloc=DEFAULT_BLOC) -> SeatAdvice:
    """`seat_advice_for`, cached per seat until advice_changed() (and at most CACHE_SECONDS, so
    an election that passes at midnight stops being "next" soon after)."""
    version = versioned_cache.version(ADVICE_VERSION)
    key = f"seats:advice:{constituency.pk}:{','.join(sorted(bloc))}:{version}"
    found = cache.get(key)
    if found is None:
        found = seat_advice_for(constituency, bloc)
        cache.set(key, found, CACHE_SECONDS)
    return found


def election_advice(election: Election, bloc=DEFAULT_BLOC) -> dict[int, Advice]:
    """Advice for every seat with results at `election`, by constituency id (4 queries): the
    same rule as the seat page, over the agreed pacts of that election."""
    by_seat, seats = election_seat_votes(election)
    pacts = _agreed_pacts(election)
    analyses = {int(a.key): a for a in seats_analyse(seats, bloc)}
    return {
        seat_id: seat_advice(
            analyses.get(seat_id),
            pact_terms(pacts[seat_id]) if seat_id in pacts else None,
            bloc=bloc,
            speaker_seat=seat_id not in analyses,
        )
        for seat_id in by_seat
    }

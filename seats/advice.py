""" "How should I vote here?": the advice for one seat, in words. One pure function, no queries.

`seat_advice(analysis, pact)` turns a seat's analysis (seats/analysis.py) and its agreed pact, if
any, into what a voter reads. In order:

1. **An agreed pact** whose carrier is in the bloc: "Green Party and Labour stand aside: vote
   Liberal Democrats". Parties outside the bloc are never named (a pact naming one is ignored).
2. **No analysis** (no results on these boundaries, or the Speaker's seat, which seat_analyse
   leaves out): tactical voting is not needed / we cannot advise, said plainly.
3. **The bloc holds the seat.** With a majority of at least COMFORTABLE_POINTS points of the
   vote it holds it comfortably: "tactical voting is not needed here". Closer than that, vote
   for the holder to keep it.
4. **The bloc does not hold it.** When the bloc together fell short of the winner by more than
   OUT_OF_REACH_POINTS points, no progressive can win: "not needed". Otherwise vote for the
   best-placed bloc party, with the reason: "came second, 4,211 votes behind; progressive
   parties together had 58%".

Ties between bloc parties are already broken (alphabetically, flagged `tied`) by seat_analyse.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from seats.analysis import SeatAnalysis
from seats.party_codes import DEFAULT_BLOC

# A bloc party holding the seat by at least this many points of the vote holds it comfortably.
COMFORTABLE_POINTS = 10.0
# The bloc together more than this many points behind the winner: no progressive can win.
OUT_OF_REACH_POINTS = 10.0

# How voters name the parties (short name -> words). Unknown codes are shown as they are.
PARTY_WORDS: dict[str, str] = {
    "Lab": "Labour",
    "LD": "Lib Dem",
    "Green": "Green",
    "SNP": "SNP",
    "PC": "Plaid Cymru",
    "Con": "Conservative",
    "RUK": "Reform UK",
}
# The plural used in "Greens and Labour stand aside".
PARTY_PLURAL: dict[str, str] = {"Green": "Greens", "LD": "Lib Dems"}

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}


class AdviceKind(StrEnum):
    PACT = "pact"
    TACTICAL = "tactical"  # vote for the best-placed bloc party to win the seat
    HOLD = "hold"  # the bloc holds it narrowly: vote for the holder to keep it
    NOT_NEEDED = "not_needed"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class PactTerms:
    """An agreed pact as plain data: short names of the parties by role."""

    carries_hopes: str
    stands_aside: tuple[str, ...] = ()
    endorses: tuple[str, ...] = ()
    # An open primary that has not yet chosen the candidate: the roles are placeholders.
    primary_pending: bool = False


@dataclass(frozen=True)
class Advice:
    kind: AdviceKind
    party: str | None  # short name of the party to vote for (None: no recommendation)
    headline: str
    reason: str

    @property
    def text(self) -> str:
        """One line for emails, share links and change detection."""
        return f"{self.headline}. {self.reason}".strip() if self.reason else self.headline


def party_words(code: str, *, plural: bool = False) -> str:
    if plural and code in PARTY_PLURAL:
        return PARTY_PLURAL[code]
    return PARTY_WORDS.get(code, code)


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _names(codes: list[str]) -> str:
    return _join(sorted(party_words(code, plural=True) for code in codes))


def _verb(verb: str, codes: list[str]) -> str:
    """ "Labour stands", but "Greens stand" and "Labour and Greens stand"."""
    singular = len(codes) == 1 and codes[0] not in PARTY_PLURAL
    return f"{verb}s" if singular else verb


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _pact_advice(pact: PactTerms, bloc: frozenset[str]) -> Advice:
    if pact.primary_pending:
        return Advice(
            kind=AdviceKind.PACT,
            party=None,
            headline="Local voters choose the candidate here in an open primary",
            reason="The progressive parties here have agreed to back whoever wins it; "
            "this advice names them once it is counted.",
        )
    carrier = party_words(pact.carries_hopes)
    aside = sorted(p for p in pact.stands_aside if p in bloc)
    endorse = sorted(p for p in pact.endorses if p in bloc)
    parts = []
    if aside:
        parts.append(f"{_names(aside)} {_verb('stand', aside)} aside")
    if endorse:
        parts.append(f"{_names(endorse)} {_verb('back', endorse)} {carrier}")
    headline = f"{' and '.join(parts)}: vote {carrier}" if parts else f"Vote {carrier}"
    return Advice(
        kind=AdviceKind.PACT,
        party=pact.carries_hopes,
        headline=headline[0].upper() + headline[1:],
        reason="The progressive parties here have agreed a pact.",
    )


def seat_advice(
    analysis: SeatAnalysis | None,
    pact: PactTerms | None = None,
    *,
    bloc: Iterable[str] = DEFAULT_BLOC,
    speaker_seat: bool = False,
) -> Advice:
    """What a voter in this seat should do, in words (see the module docstring for the order)."""
    bloc_set = frozenset(bloc)
    if pact is not None and pact.carries_hopes in bloc_set:
        return _pact_advice(pact, bloc_set)
    if analysis is None:
        if speaker_seat:
            return Advice(
                kind=AdviceKind.NOT_NEEDED,
                party=None,
                headline="Tactical voting is not needed here",
                reason="This is the Speaker's seat: the main parties do not stand against the "
                "Speaker.",
            )
        return Advice(
            kind=AdviceKind.NO_DATA,
            party=None,
            headline="We cannot advise on this seat yet",
            reason="We have no results for it on these boundaries.",
        )
    total = analysis.total_votes or 1
    bloc_had = f"progressive parties together had {_percent(analysis.bloc_share)}"
    if analysis.held_by_bloc:
        holder = party_words(analysis.winner)
        points = 100 * analysis.majority / total
        if points >= COMFORTABLE_POINTS:
            return Advice(
                kind=AdviceKind.NOT_NEEDED,
                party=None,
                headline="Tactical voting is not needed here",
                reason=f"{holder} holds it comfortably, {analysis.majority:,} votes ahead "
                f"({points:.0f} points); {bloc_had}.",
            )
        return Advice(
            kind=AdviceKind.HOLD,
            party=analysis.winner,
            headline=f"Vote {holder} to keep this seat",
            reason=f"{holder} won by only {analysis.majority:,} votes ({points:.1f} points); "
            f"{bloc_had}.",
        )
    if analysis.best_placed is None:
        return Advice(
            kind=AdviceKind.NOT_NEEDED,
            party=None,
            headline="Tactical voting is not needed here",
            reason="No progressive party stood here last time, so none can win.",
        )
    shortfall_points = 100 * (analysis.winner_votes - analysis.bloc_total) / total
    if shortfall_points > OUT_OF_REACH_POINTS:
        return Advice(
            kind=AdviceKind.NOT_NEEDED,
            party=None,
            headline="Tactical voting is not needed here",
            reason=f"No progressive party can win: {bloc_had} "
            f"({_percent(analysis.bloc_share)} against the winner's "
            f"{_percent(analysis.winner_votes / total)}).",
        )
    best = party_words(analysis.best_placed)
    position = next(
        (i for i, (code, _) in enumerate(analysis.candidates, 1) if code == analysis.best_placed),
        0,
    )
    behind = analysis.votes_needed - 1
    place = ORDINALS.get(position, f"number {position}")
    tie_note = " (level with another progressive party)" if _bloc_tie(analysis) else ""
    return Advice(
        kind=AdviceKind.TACTICAL,
        party=analysis.best_placed,
        headline=f"Vote {best}",
        reason=f"{best} came {place}{tie_note}, {behind:,} votes behind; {bloc_had}.",
    )


def _bloc_tie(analysis: SeatAnalysis) -> bool:
    return any(
        code != analysis.best_placed
        and code in analysis.bloc
        and votes == analysis.best_placed_votes
        for code, votes in analysis.candidates
    )


def seats_advice(
    analyses: Mapping[str, SeatAnalysis | None],
    pacts: Mapping[str, PactTerms],
    *,
    bloc: Iterable[str] = DEFAULT_BLOC,
) -> dict[str, Advice]:
    """Advice for many seats at once, by the caller's key (e.g. the ONS code)."""
    bloc = tuple(bloc)
    return {key: seat_advice(a, pacts.get(key), bloc=bloc) for key, a in analyses.items()}

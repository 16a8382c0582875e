"""Where a party's activists help most: the seats it should fight, nearest first."""

from dataclasses import dataclass

from seats.analysis import hex_distance
from seats.models import AgreementParty, AgreementRole, AgreementStatus, Election
from seats.targets import SeatRow, election_seat_rows


@dataclass(frozen=True)
class ActivistTarget:
    row: SeatRow
    distance: int | None
    same_region: bool
    via_pact: bool


def activist_targets(*, party, origins: list, election: Election, limit: int = 25):
    """Target seats (not held by the bloc) where `party` carries an agreed pact, or is best placed
    and the bloc together out-polled the winner (positive target score),
    ordered by: in one of the origins' regions first, then hex-map distance to the nearest origin,
    then target score. Fixed number of queries."""
    rows = election_seat_rows(election)
    pact_seats = set(
        AgreementParty.objects.filter(
            agreement__election=election,
            agreement__status=AgreementStatus.AGREED,
            role=AgreementRole.CARRIES_HOPES,
            party=party,
        ).values_list("agreement__constituency_id", flat=True)
    )
    regions = {o.region for o in origins}
    placed = [o for o in origins if o.hex_q is not None and o.boundary_set == election.boundary_set]
    targets = []
    for row in rows:
        via_pact = row.constituency.pk in pact_seats
        if row.analysis.held_by_bloc:
            continue
        if not via_pact and row.analysis.best_placed != party.short_name:
            continue
        if not via_pact and (row.analysis.target_score or 0) <= 0:
            continue  # even every progressive vote together would not win it
        seat = row.constituency
        distance = (
            min(hex_distance(o.hex_q, o.hex_r, seat.hex_q, seat.hex_r) for o in placed)
            if placed and seat.hex_q is not None
            else None
        )
        targets.append(ActivistTarget(row, distance, seat.region in regions, via_pact))
    targets.sort(
        key=lambda t: (
            not t.same_region,
            t.distance if t.distance is not None else 10_000,
            -(t.row.analysis.target_score or -1000),
            t.row.constituency.name,
        )
    )
    return targets[:limit]

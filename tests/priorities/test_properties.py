"""Property tests: whatever sequence of clustering operations the board sends (create, move,
merge, split, rename) and whatever dots are spent or taken back, no note and no dot is lost
or duplicated, every note keeps its author, every dot its voter, and each cluster's party
breakdown sums to its notes."""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from priorities import boards, services
from priorities.models import Cluster, Dot, Note
from tests.priorities.factories import join, open_round, parties

operation = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["NHS", "Housing", "Buses", "Climate"])),
    st.tuples(st.just("move"), st.integers(0, 11), st.integers(-1, 5)),
    st.tuples(st.just("merge"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("split"), st.integers(0, 5), st.lists(st.booleans(), min_size=1, max_size=8)),
    st.tuples(st.just("rename"), st.integers(0, 5)),
    st.tuples(st.just("dot"), st.integers(0, 3), st.integers(0, 5)),
    st.tuples(st.just("undot"), st.integers(0, 3), st.integers(0, 5)),
)


def _snapshot(round_):
    notes = dict(Note.objects.filter(round=round_).values_list("pk", "participant_id"))
    dots = Counter(Dot.objects.filter(round=round_).values_list("participant_id", flat=True))
    return notes, dots


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, max_size=25))
def test_clustering_never_loses_or_duplicates_notes_or_dots(operations):
    party = parties()
    round_ = open_round(dots_per_participant=3)
    people = [
        join(round_, name, party=p)
        for name, p in [
            ("Ann", party["Lab"]),
            ("Bob", party["LD"]),
            ("Cat", party["Green"]),
            ("Dee", None),
        ]
    ]
    for person in people:
        for n in range(2):
            services.note_add(participant=person, text=f"{person.name}'s note {n}")
    notes_before, _ = _snapshot(round_)
    expected_dots: Counter = Counter()

    for op in operations:
        clusters = list(Cluster.objects.filter(round=round_).order_by("pk"))
        notes = list(Note.objects.filter(round=round_).order_by("pk"))
        try:
            match op:
                case ("create", name):
                    services.cluster_create(round_=round_, name=name)
                case ("move", n, c):
                    target = clusters[c % len(clusters)] if clusters and c >= 0 else None
                    services.note_move(note=notes[n % len(notes)], cluster=target)
                case ("merge", a, b) if clusters:
                    services.cluster_merge(
                        source=clusters[a % len(clusters)], target=clusters[b % len(clusters)]
                    )
                case ("split", c, mask) if clusters:
                    cluster = clusters[c % len(clusters)]
                    inside = list(cluster.notes.order_by("pk"))
                    ticked = [note.pk for note, tick in zip(inside, mask, strict=False) if tick]
                    services.cluster_split(cluster=cluster, note_ids=ticked, name="Split")
                case ("rename", c) if clusters:
                    services.cluster_rename(cluster=clusters[c % len(clusters)], name="Renamed")
                case ("dot", p, c) if clusters:
                    services.dot_add(participant=people[p], cluster=clusters[c % len(clusters)])
                    expected_dots[people[p].pk] += 1
                case ("undot", p, c) if clusters:
                    if services.dot_remove(
                        participant=people[p], cluster=clusters[c % len(clusters)]
                    ):
                        expected_dots[people[p].pk] -= 1
        except ValidationError:
            pass  # refused operations must change nothing either

        notes_now, dots_now = _snapshot(round_)
        assert notes_now == notes_before  # same notes, same authors: none lost, none doubled
        assert dots_now == +expected_dots  # every dot still there, still its voter's
        assert all(count <= 3 for count in dots_now.values())
        for row in boards.results_rows(round_):
            assert sum(count for _party, count in row.breakdown) == row.notes
        placed = Note.objects.filter(round=round_, cluster__isnull=False).count()
        assert sum(row.notes for row in boards.results_rows(round_)) == placed

"""What the board, the projector and the results pages show, each in a fixed number of
queries whatever the size of the round (tests/priorities/test_queries.py holds them to it)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q

from alliance.charts import HBarChart, hbar_chart
from groups.models import Party
from priorities import charts, live, results, similarity
from priorities.models import Cluster, Dot, Note, Participant, Round

LATEST_ON_PROJECTOR = 8


SUGGEST_FOR = 40  # unplaced notes that get a suggestion (the oldest first)
NOTES_PER_CLUSTER_COMPARED = 10  # a cluster is compared by its name and its first notes


@dataclass
class BoardCluster:
    cluster: Cluster
    notes: list[dict]
    dots: int


def _dot_counts(round_: Round) -> dict[int, int]:
    return dict(
        Dot.objects.filter(round=round_)
        .values_list("cluster_id")
        .annotate(n=Count("pk"))
        .values_list("cluster_id", "n")
    )


SUGGESTIONS_TIMEOUT = 60 * 10


def _suggestions(unplaced: list[tuple[str, str]], clusters: list[tuple]) -> list:
    """`similarity.suggest`, cached by what it reads: the unplaced notes compared and each
    cluster's name and first notes. A dot, a hidden note or a move among clusters (most of a
    meeting's changes) leaves those alone, so the board redraws without comparing again."""
    digest = hashlib.sha256(repr((unplaced, clusters)).encode()).hexdigest()
    key = f"priorities:suggestions:{digest}"
    found = cache.get(key)
    if found is None:
        found = similarity.suggest(unplaced, clusters)
        cache.set(key, found, timeout=SUGGESTIONS_TIMEOUT)
    return found


def board_context(round_: Round, *, version: str | None = None) -> dict:
    """Every cluster with its notes (hidden ones marked), the unplaced notes, suggestions.

    Notes are plain dicts (no model instances) with their ids already as text: the board of a
    600-note round is rendered on every change, and this halves the time it takes. `version`,
    when given, was read by the caller before anything else (live.cached_render)."""
    if version is None:
        version = live.round_version(round_.pk)  # before reading: a change meanwhile re-renders
    clusters = list(Cluster.objects.filter(round=round_))
    notes = [
        {
            "id": str(pk),
            "text": text,
            "label": text if len(text) <= 50 else text[:49] + "…",
            "cluster_id": cluster_id,
            "is_hidden": hidden,
            "party": party,
        }
        for pk, text, cluster_id, hidden, party in Note.objects.filter(round=round_)
        .order_by("created_at", "pk")
        .values_list("pk", "text", "cluster_id", "is_hidden", "participant__party__short_name")
    ]
    dots = _dot_counts(round_)
    by_cluster: dict[int | None, list[dict]] = defaultdict(list)
    for note in notes:
        by_cluster[note["cluster_id"]].append(note)
    unplaced = by_cluster.get(None, [])
    suggestions = {
        str(s.note_id): s
        for s in _suggestions(
            [(n["id"], n["text"]) for n in unplaced if not n["is_hidden"]][:SUGGEST_FOR],
            [
                (
                    c.pk,
                    c.name,
                    [n["text"] for n in by_cluster.get(c.pk, [])[:NOTES_PER_CLUSTER_COMPARED]],
                )
                for c in clusters
            ],
        )
    }
    for note in unplaced:
        note["suggestion"] = suggestions.get(note["id"])
    return {
        "board_clusters": [
            BoardCluster(c, by_cluster.get(c.pk, []), dots.get(c.pk, 0)) for c in clusters
        ],
        "unplaced": unplaced,
        "clusters": clusters,
        "notes": notes,
        "version": version,
    }


def projector_context(round_: Round, *, version: str | None = None) -> dict:
    """Totals, each cluster's visible notes and dots, and the latest notes."""
    if version is None:
        version = live.round_version(round_.pk)
    clusters = list(Cluster.objects.filter(round=round_))
    note_counts = dict(  # unplaced notes under None: the total is the sum
        Note.objects.visible()
        .filter(round=round_)
        .values_list("cluster_id")
        .annotate(n=Count("pk"))
        .values_list("cluster_id", "n")
    )
    dots = _dot_counts(round_)
    rows = sorted(
        (
            {"cluster": c, "notes": note_counts.get(c.pk, 0), "dots": dots.get(c.pk, 0)}
            for c in clusters
        ),
        key=lambda row: (-row["dots"], -row["notes"], row["cluster"].name.lower()),
    )
    return {
        "version": version,
        "rows": rows,
        "participant_count": Participant.objects.filter(round=round_).count(),
        "note_count": sum(note_counts.values()),
        "dot_count": sum(dots.values()),
        "latest_notes": list(
            Note.objects.visible()
            .filter(round=round_)
            .order_by("-created_at", "-pk")[:LATEST_ON_PROJECTOR]
        ),
    }


def results_rows(round_: Round, *, order: str = "dots") -> list[results.RankedCluster]:
    """Clusters ranked, from visible notes only; authors named only if they agreed."""
    clusters = list(Cluster.objects.filter(round=round_))
    note_parties: dict[int, list[str | None]] = defaultdict(list)
    named: dict[int, list[str]] = defaultdict(list)
    for cluster_id, party, name, agreed in (
        Note.objects.visible()
        .filter(round=round_, cluster__isnull=False)
        .values_list(
            "cluster_id",
            "participant__party__short_name",
            "participant__name",
            "participant__agreed_to_be_named",
        )
        .order_by("pk")
    ):
        note_parties[cluster_id].append(party)
        if agreed:
            named[cluster_id].append(name)
    dots = _dot_counts(round_)
    return results.rank(
        [
            results.ClusterInput(
                cluster_id=c.pk,
                name=c.name,
                note_parties=note_parties.get(c.pk, []),
                dots=dots.get(c.pk, 0),
                named_authors=named.get(c.pk, []),
            )
            for c in clusters
        ],
        order=order,
    )


def results_context(round_: Round, *, order: str = "dots") -> dict:
    rows = results_rows(round_, order=order)
    colours = dict(Party.objects.values_list("short_name", "colour"))
    return {
        "rows": rows,
        "chart": charts.bar_chart(rows, colours),
        "order": order,
        "progress_chart": progress_chart(round_),
    }


def progress_chart(round_: Round) -> HBarChart:
    """How far the round got, in one query: of everyone who joined, how many wrote a note
    (hidden ones count: the person took part) and how many placed a dot."""
    figures = Participant.objects.filter(round=round_).aggregate(
        joined=Count("pk"),
        wrote=Count("pk", filter=Q(Exists(Note.objects.filter(participant=OuterRef("pk"))))),
        voted=Count("pk", filter=Q(Exists(Dot.objects.filter(participant=OuterRef("pk"))))),
    )
    joined = figures["joined"]
    return hbar_chart(
        [("Wrote a note", figures["wrote"]), ("Placed dots", figures["voted"])],
        title=f"Taking part: of {joined:,} people who joined, how many wrote notes and placed dots",
        total=joined,
    )

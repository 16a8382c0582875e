"""The regional picture: clusters of every closed round in a region, put together when their
names look alike (rapidfuzz, as on the board), then ranked like a round's results."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count

from priorities import results, similarity
from priorities.models import Cluster, Dot, Note, Round


def region_context(region: str) -> dict:
    rounds = list(Round.objects.closed().in_region(region).select_related("group"))
    clusters = list(
        Cluster.objects.filter(round__in=[r.pk for r in rounds]).order_by("round_id", "pk")
    )
    parties: dict[int, list[str | None]] = defaultdict(list)
    for cluster_id, party in (
        Note.objects.visible()
        .filter(cluster__in=[c.pk for c in clusters])
        .values_list("cluster_id", "participant__party__short_name")
        .order_by("pk")
    ):
        parties[cluster_id].append(party)
    dots = dict(
        Dot.objects.filter(cluster__in=[c.pk for c in clusters])
        .values_list("cluster_id")
        .annotate(n=Count("pk"))
        .values_list("cluster_id", "n")
    )
    merged = []
    for indices in similarity.group_names([c.name for c in clusters]):
        members = [clusters[i] for i in indices]
        # The name most rounds used (first seen on a tie) speaks for the pile.
        name = Counter(c.name for c in members).most_common(1)[0][0]
        merged.append(
            (
                results.ClusterInput(
                    cluster_id=members[0].pk,
                    name=name,
                    note_parties=[p for c in members for p in parties.get(c.pk, [])],
                    dots=sum(dots.get(c.pk, 0) for c in members),
                ),
                sorted({c.name for c in members}),
                len({c.round_id for c in members}),
            )
        )
    ranked = results.rank([m[0] for m in merged], order="across")
    extras = {m[0].cluster_id: (m[1], m[2]) for m in merged}
    rows = [
        {"row": row, "names": extras[row.cluster_id][0], "rounds": extras[row.cluster_id][1]}
        for row in ranked
    ]
    return {"rounds": rounds, "rows": rows}

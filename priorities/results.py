"""Ranking clusters: pure rules, plain data in, ranked rows out, no queries.

Each cluster comes in as its name, the party of each visible note's author (None when the
author stated no party) and its dots.

Across-parties score
--------------------
    score = notes × D,   D = exp(H),   H = −Σ p_i · ln p_i

p_i is the share of the cluster's notes (among those whose author stated a party) written by
party i; D is the "effective number of parties" (the Hill number of order 1, the exponential of
Shannon's diversity). Nine notes from one party score 9 × 1 = 9; six notes, two each from three
parties, score 6 × 3 = 18: a concern shared across parties outranks one party's many notes.
Notes without a stated party count in `notes` but not in D (D is 1 when nobody stated a party,
so such a cluster scores its note count). Ties break by dots, then notes, then name.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

NO_PARTY = "No party stated"


@dataclass(frozen=True)
class ClusterInput:
    cluster_id: int
    name: str
    note_parties: list[str | None]
    dots: int
    named_authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RankedCluster:
    cluster_id: int
    name: str
    notes: int
    dots: int
    breakdown: list[tuple[str, int]]  # (party short name or NO_PARTY, notes), biggest first
    effective_parties: float
    across_parties: float
    named_authors: list[str]

    @property
    def breakdown_text(self) -> str:
        parts = ", ".join(f"{party} {count}" for party, count in self.breakdown)
        noun = "note" if self.notes == 1 else "notes"
        return f"{self.name}: {self.notes} {noun}" + (f" - {parts}" if parts else "")


def party_breakdown(note_parties: list[str | None]) -> list[tuple[str, int]]:
    """Notes per party, biggest first (then by name); unstated parties together, last."""
    counts = Counter(party or NO_PARTY for party in note_parties)
    unstated = counts.pop(NO_PARTY, 0)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ordered + ([(NO_PARTY, unstated)] if unstated else [])


def effective_parties(note_parties: list[str | None]) -> float:
    """exp(Shannon entropy) of the stated parties' shares; 1.0 for none or one party."""
    counts = Counter(party for party in note_parties if party)
    total = sum(counts.values())
    if total == 0:
        return 1.0
    entropy = -sum((n / total) * math.log(n / total) for n in counts.values())
    return math.exp(entropy)


ORDERS = {
    "dots": lambda row: (-row.dots, -row.notes, -row.across_parties, row.name.lower()),
    "notes": lambda row: (-row.notes, -row.dots, -row.across_parties, row.name.lower()),
    "across": lambda row: (-row.across_parties, -row.dots, -row.notes, row.name.lower()),
}


def rank(clusters: list[ClusterInput], *, order: str = "dots") -> list[RankedCluster]:
    rows = []
    for cluster in clusters:
        effective = effective_parties(cluster.note_parties)
        notes = len(cluster.note_parties)
        rows.append(
            RankedCluster(
                cluster_id=cluster.cluster_id,
                name=cluster.name,
                notes=notes,
                dots=cluster.dots,
                breakdown=party_breakdown(cluster.note_parties),
                effective_parties=round(effective, 2),
                across_parties=round(notes * effective, 1),
                named_authors=sorted(set(cluster.named_authors)),
            )
        )
    return sorted(rows, key=ORDERS.get(order, ORDERS["dots"]))

"""Which unplaced notes look like which cluster: suggestions for the board, never decisions.

rapidfuzz's token_set_ratio compares the sets of words, so word order and repeats do not
matter and "NHS waiting lists" matches a cluster called "NHS". Common English words are
dropped first: otherwise "the buses" and "the NHS" would share "the". Pure: plain data in,
suggestions out, no queries; runs offline.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

THRESHOLD = 70
_STOP = "a an and are as at be by for from has have in is it its of on or our more less should"
STOP_WORDS = frozenset(f"{_STOP} the their there this to we with need needs must all".split(" "))


def normalise(text: str) -> str:
    words = utils.default_process(text).split()
    return " ".join(word for word in words if word not in STOP_WORDS)


@dataclass(frozen=True)
class Suggestion:
    note_id: int
    cluster_id: int | None  # None: start a new cluster with the other notes listed
    cluster_name: str
    score: float


def suggest(
    unplaced: list[tuple[int, str]],
    clusters: list[tuple[int, str, list[str]]],
    *,
    threshold: int = THRESHOLD,
) -> list[Suggestion]:
    """For each unplaced (note id, text): the best cluster (id, name, its notes' texts) if it
    scores at least `threshold`; notes that fit no cluster but resemble each other are
    suggested a new cluster named after the first of them."""
    choices: list[str] = []
    owners: list[tuple[int, str]] = []
    for cluster_id, name, texts in clusters:
        for text in [name, *texts]:
            choices.append(normalise(text))
            owners.append((cluster_id, name))
    suggestions: list[Suggestion] = []
    leftovers: list[tuple[int, str, str]] = []
    for note_id, text in unplaced:
        query = normalise(text)
        best = (
            process.extractOne(query, choices, scorer=fuzz.token_set_ratio, score_cutoff=threshold)
            if choices and query
            else None
        )
        if best:
            cluster_id, name = owners[best[2]]
            suggestions.append(Suggestion(note_id, cluster_id, name, round(best[1], 1)))
        elif query:
            leftovers.append((note_id, text, query))
    # Group the leftovers with each other: the first of each new pile names it.
    if leftovers:
        matrix = process.cdist(
            [q for _, _, q in leftovers], [q for _, _, q in leftovers], scorer=fuzz.token_set_ratio
        )
        taken: set[int] = set()
        for i, (_note_id, text, _query) in enumerate(leftovers):
            if i in taken:
                continue
            pile = [
                j
                for j in range(i + 1, len(leftovers))
                if j not in taken and matrix[i][j] >= threshold
            ]
            if not pile:
                continue
            name = text[:40]
            for j in [i, *pile]:
                taken.add(j)
                score = 100.0 if j == i else round(float(matrix[i][j]), 1)
                suggestions.append(Suggestion(leftovers[j][0], None, name, score))
    return suggestions


def group_names(names: list[str], *, threshold: int = 80) -> list[list[int]]:
    """Indices of `names` grouped by similarity (greedy, in order): for the regional picture."""
    normalised = [normalise(name) for name in names]
    groups: list[list[int]] = []
    heads: list[str] = []
    for index, name in enumerate(normalised):
        match = (
            process.extractOne(name, heads, scorer=fuzz.token_set_ratio, score_cutoff=threshold)
            if heads and name
            else None
        )
        if match:
            groups[match[2]].append(index)
        else:
            heads.append(name)
            groups.append([index])
    return groups

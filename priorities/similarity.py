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
    # Pile the leftovers up with each other: the first note of each pile names it.
    for pile in _piles([query for _, _, query in leftovers], threshold=threshold):
        if len(pile) < 2:
            continue
        name = leftovers[pile[0]][1][:40]
        for index in pile:
            suggestions.append(Suggestion(leftovers[index][0], None, name, float(threshold)))
    return suggestions


def group_names(names: list[str], *, threshold: int = 80) -> list[list[int]]:
    """Indices of `names` grouped by similarity (greedy, in order): for the regional picture."""
    return _piles([normalise(name) for name in names], threshold=threshold)


def _piles(normalised: list[str], *, threshold: int) -> list[list[int]]:
    """Greedy piling: each text joins the pile whose first text it most resembles (if enough),
    or starts a pile. One C-level extractOne per text, so 600 notes take milliseconds."""
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

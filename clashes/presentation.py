"""What one person is shown of a clash, on its page and in emails: each side as they may see
it (`clashes.permissions.clash_sides_show`), the overlap, and free slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from clashes.drafts import Draft, draft_clashing_event_ids
from clashes.models import Clash
from clashes.permissions import clash_sides_show, events_show
from clashes.rules import EventInfo, overlap_minutes
from clashes.suggestions import clash_suggestions, draft_suggestions


def clash_context(clash: Clash, *, viewer, now: datetime | None = None) -> dict:
    """What a clash page or email shows `viewer`: an event they may not see is a stand-in
    without title or place (and no free slots are offered for it)."""
    a, b = clash.event_a, clash.event_b
    clash_sides_show(user=viewer, clashes=[clash])
    moved = max((a, b), key=lambda e: (e.created_at, e.pk))
    moved_shown = clash.shown_a if moved is a else clash.shown_b
    hidden = getattr(moved_shown, "is_hidden", False)
    return {
        "clash": clash,
        "event_a": clash.shown_a,
        "event_b": clash.shown_b,
        "overlap_minutes": overlap_minutes(_info(a), _info(b)),
        "suggestions": [] if hidden else clash_suggestions(clash=clash, now=now),
        "moved_event": moved_shown,
        "areas": clash_areas(clash),
    }


MAX_AREA_NAMES = 4


def area_phrase(names: list[str]) -> str:
    """Where an event without a place may be: "somewhere in A, B or C" (its group's area);
    past `MAX_AREA_NAMES` seats, the first ones and how many more."""
    if len(names) > MAX_AREA_NAMES:
        shown, rest = names[: MAX_AREA_NAMES - 1], len(names) - MAX_AREA_NAMES + 1
        return f"somewhere in {', '.join(shown)} or {rest} other constituencies"
    if len(names) > 1:
        return f"somewhere in {', '.join(names[:-1])} or {names[-1]}"
    return f"somewhere in {names[0]}" if names else "somewhere in its group's area"


def clash_areas(clash: Clash) -> list[dict]:
    """The sides of a clash that have no place of their own (no constituency, no point): for
    clashes they are anywhere in their group's area (`clashes.rules`), so the page and the
    emails say "somewhere in <area>" rather than a distance. The area is the group's, which
    the group's public page shows too: it is said even when the event itself is hidden."""
    areas = []
    for event in (clash.event_a, clash.event_b):
        if event.constituency_id is None and event.latitude is None:
            names = list(event.group.constituencies.order_by("name").values_list("name", flat=True))
            areas.append({"group": event.group, "where": area_phrase(names)})
    return areas


def _info(event) -> EventInfo:
    return EventInfo(
        id=event.pk,
        group_id=event.group_id,
        group_kind="",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )


@dataclass(frozen=True)
class DraftWarning:
    """What the event form shows before saving: the events the draft would clash with (as the
    organiser may see them) and up to three free slots."""

    clashes: list = field(default_factory=list)
    slots: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.clashes)


def draft_warning(*, viewer, draft: Draft, now: datetime | None = None) -> DraftWarning:
    ids = draft_clashing_event_ids(draft)
    if not ids:
        return DraftWarning()
    return DraftWarning(
        clashes=events_show(user=viewer, event_ids=ids),
        slots=draft_suggestions(draft, now=now),
    )

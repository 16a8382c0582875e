"""Clash detection services (issue 5): SQL over the indexed span, outbox, notifications."""


def event_clashes_check(*, event_id: int) -> None:
    """Find, record and resolve the clashes of one event. Implemented by the clash work."""
    raise NotImplementedError("Clash detection is not implemented yet")

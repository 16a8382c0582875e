"""The board's note cards and note options as HTML, built in Python.

The board of a big meeting holds 600 notes and is rendered again after every change; through
the template engine the cards were most of that time (a dozen variable lookups each), so they
are built here. Every value goes through `html.escape(..., quote=True)` (what Django's own
escaping calls), in text and in attributes alike. The markup is the one the board template
had; everything around the cards stays in templates/priorities/_board.html.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe


def _e(value) -> str:
    return escape(str(value), quote=True)


def note_options(notes: list[dict]) -> SafeString:
    return mark_safe(
        "".join(f'<option value="{_e(n["id"])}">{_e(n["label"])}</option>' for n in notes)
    )


def _hide_button(note: dict) -> str:
    form, label = ("show-note", "Show again") if note["is_hidden"] else ("hide-note", "Hide")
    return (
        f'<button type="submit" form="{form}" name="note" value="{_e(note["id"])}" '
        f'class="link-button hide-button">{label}</button>'
    )


def _suggestion(note: dict, *, move_url: str, create_url: str, csrf_token: str) -> str:
    suggestion = note.get("suggestion")
    if not suggestion:
        return ""
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'
    name = _e(suggestion.cluster_name)
    if suggestion.cluster_id:
        return (
            f'<form method="post" action="{_e(move_url)}" class="suggestion">{token}'
            f'<input type="hidden" name="note" value="{_e(note["id"])}">'
            f'<input type="hidden" name="cluster" value="{_e(suggestion.cluster_id)}">'
            f'<button type="submit" class="link-button">Suggested: {name}</button></form>'
        )
    return (
        f'<form method="post" action="{_e(create_url)}" class="suggestion">{token}'
        f'<input type="hidden" name="notes" value="{_e(note["id"])}">'
        f'<input type="hidden" name="name" value="{name}">'
        f'<button type="submit" class="link-button">Suggested: start “{name}”</button></form>'
    )


def note_cards(
    notes: list[dict],
    *,
    is_organiser: bool,
    split_form: str | None = None,
    move_url: str = "",
    create_url: str = "",
    csrf_token: str = "",
) -> SafeString:
    """`<li>` cards: in a cluster (`split_form` set) each has a tick box for splitting; unplaced
    ones carry their suggestion. Parties are shown to organisers only."""
    cards = []
    for note in notes:
        note_id, text = _e(note["id"]), _e(note["text"])
        if split_form:
            body = (
                f'<label><input type="checkbox" name="notes" value="{note_id}" '
                f'form="{_e(split_form)}"> <span class="note-text">{text}</span></label>'
            )
        else:
            body = f'<span class="note-text">{text}</span>' + _suggestion(
                note, move_url=move_url, create_url=create_url, csrf_token=csrf_token
            )
        if is_organiser and note["party"]:
            body += f'<small class="note-party">{_e(note["party"])}</small>'
        if is_organiser:
            body += _hide_button(note)
        hidden = " is-hidden" if note["is_hidden"] else ""
        cards.append(
            f'<li class="postit{hidden}" draggable="true" data-note="{note_id}">{body}</li>'
        )
    return mark_safe("\n".join(cards))

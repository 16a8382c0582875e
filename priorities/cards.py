"""The board's note cards, cluster columns and select options as HTML, built in Python.

The board of a big meeting holds 600 notes and 20 or more clusters and is rendered again after
every change; through the template engine the cards, and then the cluster columns, were most
of that time (a dozen variable lookups each), so they are built here. Every value goes
through `html.escape(..., quote=True)` (what Django's own escaping calls), in text and in
attributes alike. The markup is the one the board template had; the forms around them stay
in templates/priorities/_board.html.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe


def _e(value) -> str:
    return escape(str(value), quote=True)


def note_options(notes: list[dict]) -> SafeString:
    return mark_safe(
        "".join(f'<option value="{_e(n["id"])}">{_e(n["label"])}</option>' for n in notes)
    )


def cluster_options(clusters, *, selected_index: int | None = None) -> SafeString:
    """`<option>`s for the move, merge-from and merge-into selects."""
    return mark_safe(
        "".join(
            f'<option value="{c.pk}"{" selected" if i == selected_index else ""}>'
            f"{_e(c.name)}</option>"
            for i, c in enumerate(clusters)
        )
    )


def _token_input(csrf_token: str) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'


def cluster_columns(
    board_clusters, *, is_organiser: bool, split_url: str, rename_url: str, csrf_token: str
) -> SafeString:
    """One `<section>` per cluster: its name, figures, note cards (with tick boxes for
    splitting) and the split and rename forms."""
    token = _token_input(csrf_token)
    split_url, rename_url = _e(split_url), _e(rename_url)
    columns = []
    for item in board_clusters:
        pk, name = item.cluster.pk, _e(item.cluster.name)
        notes, dots = len(item.notes), item.dots
        cards = note_cards(item.notes, is_organiser=is_organiser, split_form=f"split-{pk}")
        columns.append(
            f'<section class="board-column drop-zone cluster" data-cluster="{pk}" '
            f'aria-labelledby="cluster-{pk}">\n'
            f'<h2 id="cluster-{pk}" class="h5">{name}</h2>\n'
            f'<p class="cluster-figures">{notes} note{"" if notes == 1 else "s"} · '
            f"{dots} dot{'' if dots == 1 else 's'}</p>\n"
            f'<ul class="note-list">\n{cards}\n</ul>\n'
            "<details>\n<summary>Split or rename</summary>\n"
            f'<form method="post" action="{split_url}" id="split-{pk}">{token}\n'
            f'<input type="hidden" name="cluster" value="{pk}">\n'
            f'<label for="split-name-{pk}">Ticked notes become</label>\n'
            f'<input type="text" name="name" id="split-name-{pk}" maxlength="80" required>\n'
            '<button type="submit" class="secondary">Split off (dots stay here)</button>\n'
            "</form>\n"
            f'<form method="post" action="{rename_url}">{token}\n'
            f'<input type="hidden" name="cluster" value="{pk}">\n'
            f'<label for="rename-{pk}">Rename to</label>\n'
            f'<input type="text" name="name" id="rename-{pk}" maxlength="80" value="{name}" '
            "required>\n"
            '<button type="submit" class="secondary">Rename</button>\n'
            "</form>\n</details>\n</section>"
        )
    return mark_safe("\n".join(columns))


def _hide_button(note: dict, note_id: str) -> str:
    form, label = ("show-note", "Show again") if note["is_hidden"] else ("hide-note", "Hide")
    return (
        f'<button type="submit" form="{form}" name="note" value="{note_id}" '
        f'class="link-button hide-button">{label}</button>'
    )


def _suggestion(note: dict, *, move_url: str, create_url: str, csrf_token: str) -> str:
    suggestion = note.get("suggestion")
    if not suggestion:
        return ""
    token = _token_input(csrf_token)
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
    split_attr = _e(split_form) if split_form else ""
    for note in notes:
        note_id, text = _e(note["id"]), _e(note["text"])
        if split_form:
            body = (
                f'<label><input type="checkbox" name="notes" value="{note_id}" '
                f'form="{split_attr}"> <span class="note-text">{text}</span></label>'
            )
        else:
            body = f'<span class="note-text">{text}</span>' + _suggestion(
                note, move_url=move_url, create_url=create_url, csrf_token=csrf_token
            )
        if is_organiser and note["party"]:
            body += f'<small class="note-party">{_e(note["party"])}</small>'
        if is_organiser:
            body += _hide_button(note, note_id)
        hidden = " is-hidden" if note["is_hidden"] else ""
        cards.append(
            f'<li class="postit{hidden}" draggable="true" data-note="{note_id}">{body}</li>'
        )
    return mark_safe("\n".join(cards))

"""The board's note cards escape everything, in text and in attributes."""

from priorities.cards import note_cards, note_options
from priorities.similarity import Suggestion

HOSTILE = '<script>alert(1)</script>" onmouseover="x'


def _note(**extra):
    return {
        "id": "7",
        "text": HOSTILE,
        "label": HOSTILE,
        "is_hidden": False,
        "party": HOSTILE,
        **extra,
    }


def test_cards_escape_text_and_attributes():
    html = note_cards(
        [_note(suggestion=Suggestion(7, None, HOSTILE, 80.0))],
        is_organiser=True,
        move_url="/m/",
        create_url="/c/",
        csrf_token="tok",
    )
    assert "<script>" not in html and '" onmouseover' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x" in html
    assert 'name="csrfmiddlewaretoken" value="tok"' in html
    assert "<script>" not in note_options([_note()])


def test_party_and_hide_button_only_for_organisers():
    note = _note(text="Rivers", party="Green")
    assert "note-party" in note_cards([note], is_organiser=True)
    participant_view = note_cards([note], is_organiser=False)
    assert "note-party" not in participant_view and "hide-button" not in participant_view
    assert 'form="split-3"' in note_cards([note], is_organiser=False, split_form="split-3")


def test_cluster_columns_and_options_escape_names():
    from types import SimpleNamespace

    from priorities.cards import cluster_columns, cluster_options

    cluster = SimpleNamespace(pk=3, name=HOSTILE)
    item = SimpleNamespace(cluster=cluster, notes=[_note()], dots=1)
    html = cluster_columns(
        [item], is_organiser=False, split_url="/s/", rename_url="/r/", csrf_token="tok"
    )
    options = cluster_options([cluster, SimpleNamespace(pk=4, name="B")], selected_index=1)
    for out in (html, options):
        assert "<script>" not in out and '" onmouseover' not in out
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x"' in html
    assert "1 note · 1 dot</p>" in html and 'form="split-3"' in html
    assert html.count('name="csrfmiddlewaretoken" value="tok"') == 2
    assert '<option value="4" selected>B</option>' in options

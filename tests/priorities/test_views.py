"""The pages, through HTTP: joining by code, notes, the board, dots, the projector, results,
statements and endorsements, and the includes on group and seat pages."""

import csv
import io

import pytest
from django.test import Client

from groups.models import PartyStaff
from priorities import live, services, views
from priorities.models import Cluster, Dot, Endorsement, Note, Participant, Statement
from tests.factories import ConstituencyFactory, GroupFactory, UserFactory
from tests.priorities.conftest import participant_client

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_join_by_code_without_an_account(meeting):
    client = Client()
    response = client.get(
        "/priorities/join/",
        {"code": meeting.round.code.lower()[:4] + "-" + meeting.round.code.lower()[4:]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/priorities/join/{meeting.round.code}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "What matters to you?" in page.content.decode()
    response = client.post(
        f"/priorities/join/{meeting.round.code}/",
        {"name": "Ann", "party": meeting.parties["LD"].pk},
    )
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert (participant.name, participant.party.short_name, participant.user) == ("Ann", "LD", None)
    assert client.get(meeting.round.get_absolute_url()).status_code == 200
    # Visiting the join link again goes straight to the round, no second participant.
    assert client.get(f"/priorities/join/{meeting.round.code}/").status_code == 302
    assert Participant.objects.count() == 1


def test_join_form_errors_keep_what_was_typed(meeting):
    response = Client().post(f"/priorities/join/{meeting.round.code}/", {"name": "", "party": "x"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Participant.objects.exists()


def test_unknown_or_expired_code_is_404(meeting):
    assert Client().get("/priorities/join/ABCDEFGH/").status_code == 404
    services.round_close(round_=meeting.round)
    assert Client().get(f"/priorities/join/{meeting.round.code}/").status_code == 404


def test_join_attempts_are_rate_limited(meeting, monkeypatch):
    monkeypatch.setattr(views, "JOIN_ATTEMPTS_PER_10_MINUTES", 3)
    client = Client()
    for guess in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC"):
        assert client.get(f"/priorities/join/{guess}/").status_code == 404
    # Even the right code is refused now: guessing cannot tell a hit from a throttle.
    assert client.get(f"/priorities/join/{meeting.round.code}/").status_code == 429


def test_notes_are_added_escaped_and_capped(meeting):
    client = participant_client(meeting.round)
    url = f"/priorities/{meeting.round.pk}/notes/"
    assert client.post(url, {"text": "<script>alert(1)</script> NHS"}).status_code == 302
    assert client.post(url, {"text": "Buses"}).status_code == 302
    response = client.post(url, {"text": "A third one"})
    assert response.status_code == 400
    assert "You have added your 2 notes." in response.content.decode()
    page = client.get(meeting.round.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; NHS" in page
    response = client.post(url, {"text": "x" * 200})
    assert response.status_code == 400
    assert Note.objects.count() == 2


def test_note_rate_limit(meeting, monkeypatch):
    monkeypatch.setattr(views, "NOTES_PER_MINUTE", 2)
    client = participant_client(meeting.round)
    url = f"/priorities/{meeting.round.pk}/notes/"
    client.post(url, {"text": "One"})
    client.post(url, {"text": "Two"})
    assert client.post(url, {"text": "Three"}).status_code == 429


def _organiser(meeting) -> Client:
    client = Client()
    client.force_login(meeting.organiser)
    return client


def test_board_clusters_by_fetch_and_by_form(meeting):
    phone = participant_client(meeting.round, party=meeting.parties["Lab"])
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "NHS waiting lists"})
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Bus routes cut"})
    nhs_note, bus_note = Note.objects.order_by("pk")
    organiser = _organiser(meeting)
    base = f"/priorities/{meeting.round.pk}"

    # Drag onto "New cluster": the JS posts name + note and gets the board back.
    response = organiser.post(f"{base}/clusters/", {"name": "NHS", "notes": nhs_note.pk}, **FETCH)
    assert response.status_code == 200
    assert 'data-cluster="' in response.content.decode()
    nhs = Cluster.objects.get(name="NHS")
    assert Note.objects.get(pk=nhs_note.pk).cluster == nhs

    # Without JavaScript: the form posts and redirects back to the board.
    response = organiser.post(f"{base}/clusters/", {"name": "Transport"})
    assert response.status_code == 302
    transport = Cluster.objects.get(name="Transport")
    response = organiser.post(f"{base}/move/", {"note": bus_note.pk, "cluster": transport.pk})
    assert response.status_code == 302
    assert Note.objects.get(pk=bus_note.pk).cluster == transport

    # Bad input: a clear error, the board again, nothing changed.
    response = organiser.post(f"{base}/merge/", {"source": nhs.pk, "target": nhs.pk})
    assert response.status_code == 400
    assert "Pick two different clusters" in response.content.decode()
    response = organiser.post(f"{base}/move/", {"note": 999999, "cluster": transport.pk}, **FETCH)
    assert response.status_code == 400

    response = organiser.post(f"{base}/merge/", {"source": transport.pk, "target": nhs.pk})
    assert response.status_code == 302
    assert list(Cluster.objects.values_list("name", flat=True)) == ["NHS"]
    assert Note.objects.filter(cluster=nhs).count() == 2


def test_board_suggests_clusters_for_unplaced_notes(meeting):
    phone = participant_client(meeting.round)
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Fund the NHS properly"})
    services.cluster_create(round_=meeting.round, name="NHS")
    page = _organiser(meeting).get(f"/priorities/{meeting.round.pk}/board/").content.decode()
    assert "Suggested: NHS" in page


def test_participants_cluster_only_if_the_round_allows(meeting):
    phone = participant_client(meeting.round)
    assert phone.get(f"/priorities/{meeting.round.pk}/board/").status_code == 403
    assert phone.post(f"/priorities/{meeting.round.pk}/clusters/", {"name": "X"}).status_code == 403
    meeting.round.participants_may_cluster = True
    meeting.round.save()
    assert phone.get(f"/priorities/{meeting.round.pk}/board/").status_code == 200
    assert phone.post(f"/priorities/{meeting.round.pk}/clusters/", {"name": "X"}).status_code == 302
    # Participants cannot hide notes: that is the organisers' call.
    note = services.note_add(participant=Participant.objects.get(), text="Mine")
    assert (
        phone.post(
            f"/priorities/{meeting.round.pk}/hide/", {"note": note.pk, "hidden": "1"}
        ).status_code
        == 302
    )  # to sign in
    assert not Note.objects.get(pk=note.pk).is_hidden


def test_dots_by_htmx_and_the_vote_panel(meeting):
    phone = participant_client(meeting.round)
    nhs = services.cluster_create(round_=meeting.round, name="NHS")
    url = f"/priorities/{meeting.round.pk}/dots/"
    for _ in range(3):
        assert phone.post(url, {"cluster": nhs.pk}, **HTMX).status_code == 200
    response = phone.post(url, {"cluster": nhs.pk}, **HTMX)
    assert response.status_code == 400
    assert "spent all 3" in response.content.decode()
    assert Dot.objects.count() == 3
    panel = phone.get(f"/priorities/{meeting.round.pk}/vote/").content.decode()
    assert "0 of 3 dots left." in panel
    assert (
        phone.post(f"/priorities/{meeting.round.pk}/dots/remove/", {"cluster": nhs.pk}).status_code
        == 302
    )
    assert Dot.objects.count() == 2
    # A cluster of another round is not a choice.
    other = services.cluster_create(
        round_=services.round_open(group=meeting.group, opened_by=meeting.organiser, title="Other"),
        name="Elsewhere",
    )
    assert phone.post(url, {"cluster": other.pk}, **HTMX).status_code == 400
    assert not Dot.objects.filter(cluster=other).exists()


def test_projector_shows_code_qr_and_live_counts(meeting):
    organiser = _organiser(meeting)
    page = organiser.get(f"/priorities/{meeting.round.pk}/projector/").content.decode()
    code = meeting.round.code
    assert f"{code[:4]}-{code[4:]}" in page
    assert 'hx-trigger="every 1s"' in page
    qr = organiser.get(f"/priorities/{meeting.round.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    phone = participant_client(meeting.round)
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "<b>Housing</b>"})
    live = organiser.get(f"/priorities/{meeting.round.pk}/projector/live/").content.decode()
    assert '<span data-testid="note-count">1</span>' in live
    assert "&lt;b&gt;Housing&lt;/b&gt;" in live


def test_hidden_notes_leave_public_results_but_are_kept(meeting):
    phone = participant_client(meeting.round, party=meeting.parties["Lab"])
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Abusive words"})
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Housing"})
    abusive, housing = Note.objects.order_by("pk")
    cluster = services.cluster_create(
        round_=meeting.round, name="Homes", note_ids=[abusive.pk, housing.pk]
    )
    response = _organiser(meeting).post(
        f"/priorities/{meeting.round.pk}/hide/", {"note": abusive.pk, "hidden": "1"}
    )
    assert response.status_code == 302
    assert Note.objects.get(pk=abusive.pk).is_hidden
    services.round_close(round_=meeting.round)
    results = Client().get(f"/priorities/{meeting.round.pk}/results/").content.decode()
    assert "Lab 1" in results and "Lab 2" not in results
    assert "Abusive words" not in results
    live = (
        _organiser(meeting).get(f"/priorities/{meeting.round.pk}/projector/live/").content.decode()
    )
    assert "Abusive words" not in live
    assert cluster.notes.count() == 2


def test_results_name_only_those_who_agreed(meeting):
    agreed = participant_client(meeting.round, name="Ann Agreed", agreed=True)
    shy = participant_client(meeting.round, name="Sid Shy")
    agreed.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "NHS"})
    shy.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "NHS too"})
    services.cluster_create(
        round_=meeting.round, name="NHS", note_ids=Note.objects.values_list("pk", flat=True)
    )
    services.round_close(round_=meeting.round)
    page = Client().get(f"/priorities/{meeting.round.pk}/results/").content.decode()
    assert "Ann Agreed" in page
    assert "Sid Shy" not in page
    assert "<svg" in page and "2 notes" in page


def test_csv_export_defuses_formulas(meeting):
    phone = participant_client(meeting.round, name="=HYPERLINK(1)", agreed=True)
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "=cmd|' /C calc'!A0"})
    services.cluster_create(
        round_=meeting.round, name="+SUM(A1)", note_ids=Note.objects.values_list("pk", flat=True)
    )
    response = _organiser(meeting).get(f"/priorities/{meeting.round.pk}/results.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == "'+SUM(A1)"
    note_row = rows[4]
    assert note_row[0] == "'+SUM(A1)"
    assert note_row[1].startswith("'=cmd")
    assert note_row[3] == "'=HYPERLINK(1)"


def test_open_round_results_are_only_for_those_taking_part(meeting):
    assert Client().get(f"/priorities/{meeting.round.pk}/results/").status_code == 404
    assert (
        participant_client(meeting.round)
        .get(f"/priorities/{meeting.round.pk}/results/")
        .status_code
        == 200
    )
    services.round_close(round_=meeting.round)
    assert Client().get(f"/priorities/{meeting.round.pk}/results/").status_code == 200


def test_statement_endorsed_by_groups_and_a_party_shows_on_their_pages(meeting):
    seat = ConstituencyFactory(name="Lewes")
    meeting.group.constituencies.add(seat)
    organiser = _organiser(meeting)
    assert organiser.post(f"/priorities/{meeting.round.pk}/close/").status_code == 302
    response = organiser.post(
        f"/priorities/{meeting.round.pk}/statement/",
        {"title": "Sussex shared priorities", "introduction": "From our meeting."},
    )
    statement = Statement.objects.get()
    assert response["Location"] == statement.get_absolute_url()

    other_organiser = UserFactory()
    other = GroupFactory(name="Lewes Greens", organiser=other_organiser)
    for user, group in ((meeting.organiser, meeting.group), (other_organiser, other)):
        client = Client()
        client.force_login(user)
        assert (
            client.post(
                f"/priorities/statements/{statement.pk}/endorse/group/", {"group": group.slug}
            ).status_code
            == 302
        )
    staff = UserFactory()
    PartyStaff.objects.create(user=staff, party=meeting.parties["LD"])
    client = Client()
    client.force_login(staff)
    page = client.get(statement.get_absolute_url()).content.decode()
    assert "Endorse for Liberal Democrats" in page
    assert (
        client.post(
            f"/priorities/statements/{statement.pk}/endorse/party/",
            {"party": meeting.parties["LD"].pk},
        ).status_code
        == 302
    )
    assert Endorsement.objects.count() == 3

    page = Client().get(statement.get_absolute_url()).content.decode()
    for name in (
        "Sussex Progressives",
        "Lewes Greens",
        "Liberal Democrats",
        "What matters to you?",
    ):
        assert name in page
    for group in (meeting.group, other):
        assert "Sussex shared priorities" in Client().get(group.get_absolute_url()).content.decode()
    seat_page = Client().get(f"/seats/{seat.boundary_set}/{seat.ons_code}/").content.decode()
    assert "Sussex shared priorities" in seat_page


def test_endorsing_for_a_group_you_do_not_organise_is_refused(meeting):
    services.round_close(round_=meeting.round)
    statement = services.statement_create(
        round_=meeting.round, created_by=meeting.organiser, title="S"
    )
    stranger = UserFactory()
    client = Client()
    client.force_login(stranger)
    assert (
        client.post(
            f"/priorities/statements/{statement.pk}/endorse/group/", {"group": meeting.group.slug}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/priorities/statements/{statement.pk}/endorse/party/",
            {"party": meeting.parties["LD"].pk},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/priorities/statements/{statement.pk}/endorse/party/", {"party": "x"}
        ).status_code
        == 404
    )
    assert not Endorsement.objects.exists()


def test_region_page_rolls_up_similar_clusters(meeting):
    organiser = meeting.organiser
    other = GroupFactory(organiser=organiser, region=meeting.group.region)
    for group, name, text in (
        (meeting.group, "NHS", "Waiting lists"),
        (other, "The NHS", "GP access"),
    ):
        round_ = services.round_open(group=group, opened_by=organiser, title=f"{group.name} round")
        person = services.participant_join(
            round_=round_, name="P", party=meeting.parties["Green"], agreed_to_be_named=False
        )
        note = services.note_add(participant=person, text=text)
        services.cluster_create(round_=round_, name=name, note_ids=[note.pk])
        services.round_close(round_=round_)
    page = Client().get(f"/priorities/regions/{meeting.group.region}/").content.decode()
    assert "also: NHS, The NHS" in page
    assert "Green 2" in page
    assert Client().get("/priorities/regions/NOWHERE/").status_code == 404


def test_participant_erases_their_own_notes(meeting):
    phone = participant_client(meeting.round, party=meeting.parties["Lab"])
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Mine"})
    assert phone.post(f"/priorities/{meeting.round.pk}/leave/").status_code == 302
    assert not Participant.objects.exists() and not Note.objects.exists()
    assert phone.get(meeting.round.get_absolute_url()).status_code == 404


def test_index_and_nav(meeting):
    page = _organiser(meeting).get("/priorities/").content.decode()
    assert "What matters to you?" in page
    assert f"/priorities/new/{meeting.group.slug}/" in page
    assert 'href="/priorities/"' in Client().get("/").content.decode()


def test_organiser_opens_a_round_from_the_form(meeting):
    organiser = _organiser(meeting)
    response = organiser.post(
        f"/priorities/new/{meeting.group.slug}/",
        {"title": "Hustings", "notes_per_participant": "2", "dots_per_participant": "3"},
    )
    assert response.status_code == 302
    response = organiser.post(
        f"/priorities/new/{meeting.group.slug}/",
        {"title": "", "notes_per_participant": "50", "dots_per_participant": "3"},
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 10" in response.content.decode()


def test_pollers_get_204_until_something_changes(meeting, django_capture_on_commit_callbacks):
    organiser = _organiser(meeting)
    base = f"/priorities/{meeting.round.pk}"
    first = organiser.get(f"{base}/projector/live/").content.decode()
    version = first.split("?v=")[1].split('"')[0]
    assert organiser.get(f"{base}/projector/live/?v={version}").status_code == 204
    assert organiser.get(f"{base}/board/live/?v={version}").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        services.note_add(participant=participant_client_join(meeting), text="New note")
    assert organiser.get(f"{base}/projector/live/?v={version}").status_code == 200
    assert organiser.get(f"{base}/board/live/?v={version}").status_code == 200
    # Phones redraw their dot buttons only when the clusters change.
    phone = participant_client(meeting.round)
    panel = phone.get(f"{base}/vote/").content.decode()
    clusters_version = panel.split("?v=")[1].split('"')[0]
    assert phone.get(f"{base}/vote/?v={clusters_version}").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        services.cluster_create(round_=meeting.round, name="NHS")
    assert phone.get(f"{base}/vote/?v={clusters_version}").status_code == 200


def participant_client_join(meeting):
    return services.participant_join(
        round_=meeting.round, name="Zed", party=None, agreed_to_be_named=False
    )


def test_a_dragged_note_is_answered_with_the_fresh_board(meeting):
    phone = participant_client(meeting.round)
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Buses"})
    note = Note.objects.get()
    cluster = services.cluster_create(round_=meeting.round, name="Transport")
    response = _organiser(meeting).post(
        f"/priorities/{meeting.round.pk}/move/", {"note": note.pk, "cluster": cluster.pk}, **FETCH
    )
    assert response.status_code == 200
    assert Note.objects.get().cluster == cluster
    board = response.content.decode()
    assert "<html" not in board  # the board alone, swapped into the page
    column = board[board.index(f'data-cluster="{cluster.pk}"') :]
    assert "Buses" in column[: column.index("</section>")]
    # The poller in it carries the version after the move: its next poll swaps nothing.
    assert f"?v={live.round_version(meeting.round.pk)}" in board


def test_a_notes_party_shows_on_the_board_to_organisers_only(meeting):
    meeting.round.participants_may_cluster = True
    meeting.round.save()
    phone = participant_client(meeting.round, party=meeting.parties["Green"])
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Rivers"})
    marker = '<small class="note-party">Green</small>'
    assert marker not in phone.get(f"/priorities/{meeting.round.pk}/board/").content.decode()
    organiser_board = _organiser(meeting).get(f"/priorities/{meeting.round.pk}/board/")
    assert marker in organiser_board.content.decode()


def test_a_cached_board_carries_each_viewers_own_csrf_token(meeting):
    """The board is rendered once per version for everyone looking at it; the forms in it must
    still work for each viewer (the token in the cache is a placeholder swapped per request)."""
    phone = participant_client(meeting.round)
    phone.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Fund the NHS properly"})
    services.cluster_create(round_=meeting.round, name="NHS")
    note = Note.objects.get()
    base = f"/priorities/{meeting.round.pk}"
    pages = []
    for _ in range(2):  # the second organiser's board comes from the cache
        client = Client(enforce_csrf_checks=True)
        client.force_login(meeting.organiser)
        page = client.get(f"{base}/board/live/").content.decode()
        assert views.CSRF_PLACEHOLDER not in page
        pages.append((client, page))
    (_, first), (second_client, second) = pages
    token = second.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert "Suggested: NHS" in second
    response = second_client.post(
        f"{base}/move/",
        {"csrfmiddlewaretoken": token, "note": note.pk, "cluster": Cluster.objects.get().pk},
    )
    assert response.status_code == 302
    assert Note.objects.get().cluster is not None


def test_a_cached_board_and_projector_show_every_change(
    meeting, django_capture_on_commit_callbacks
):
    """Each write moves the version on, in its transaction and again after it commits, so a
    render cached before the change is never served after it."""
    organiser = _organiser(meeting)
    phones = [participant_client(meeting.round, name=name) for name in ("Pat", "Sam")]
    base = f"/priorities/{meeting.round.pk}"
    for phone, text in zip(
        phones * 2, ("Buses every hour", "Rivers clean again", "Dentists on the NHS"), strict=False
    ):
        with django_capture_on_commit_callbacks(execute=True):
            assert phone.post(f"{base}/notes/", {"text": text}).status_code == 302
        assert text in organiser.get(f"{base}/board/live/").content.decode()
        assert text in organiser.get(f"{base}/projector/live/").content.decode()
    note = Note.objects.get(text="Buses every hour")
    services.note_set_hidden(note=note, hidden=True)  # no commit: the first bump alone
    assert "Buses every hour" not in organiser.get(f"{base}/projector/live/").content.decode()
    board = organiser.get(f"{base}/board/").content.decode()
    assert "Rivers clean again" in board and "is-hidden" in board


def test_erasing_an_account_redraws_the_boards_it_was_on(meeting):
    user = UserFactory()
    member = Client()
    member.force_login(user)
    member.post(f"/priorities/join/{meeting.round.code}/", {"name": "Sam", "party": ""})
    member.post(f"/priorities/{meeting.round.pk}/notes/", {"text": "Sewage in the river"})
    organiser = _organiser(meeting)
    board_url = f"/priorities/{meeting.round.pk}/board/live/"
    assert "Sewage in the river" in organiser.get(board_url).content.decode()
    from priorities import personal_data

    personal_data.erase(user)
    assert "Sewage in the river" not in organiser.get(board_url).content.decode()

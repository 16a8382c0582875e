"""'How should I vote here?': the wording rule, every real 2024 seat, and the pages."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from outbox.models import OutboxEmail
from seats import personal_data, services
from seats.advice import AdviceKind, PactTerms, party_words, seat_advice
from seats.analysis import SeatVotes, seat_analyse
from seats.models import AdviceAlert, Agreement, AgreementStatus, Constituency, Election
from seats.party_codes import DEFAULT_BLOC
from seats.targets import election_advice, seat_advice_for
from tests.factories import PartyStaffFactory, UserFactory

# --- The pure rule --------------------------------------------------------------------------


def analyse(**votes):
    return seat_analyse(SeatVotes(votes=votes, key="x"))


def test_pact_advice_names_who_stands_aside_and_who_to_vote_for():
    advice = seat_advice(
        analyse(Con=20000, LD=15000, Lab=8000, Green=3000),
        PactTerms(carries_hopes="LD", stands_aside=("Lab", "Green")),
    )
    assert advice.kind == AdviceKind.PACT
    assert advice.headline == "Greens and Labour stand aside: vote Lib Dem"
    assert advice.party == "LD"


def test_pact_with_endorsement():
    advice = seat_advice(
        analyse(Con=20000, Lab=15000, LD=8000),
        PactTerms(carries_hopes="Lab", stands_aside=("LD",), endorses=("Green",)),
    )
    assert advice.headline == "Lib Dems stand aside and Greens back Labour: vote Labour"


def test_best_placed_with_the_reason():
    # Con 20,000; LD 15,789 (second, 4,211 behind); bloc 15,789+7,000+6,211 = 29,000 of 50,000.
    advice = seat_advice(analyse(Con=20000, LD=15789, Lab=7000, Green=6211, Other=1000))
    assert advice.kind == AdviceKind.TACTICAL
    assert advice.headline == "Vote Lib Dem"
    assert advice.reason == (
        "Lib Dem came second, 4,211 votes behind; progressive parties together had 58%."
    )


def test_third_place_is_said_so():
    advice = seat_advice(analyse(Con=20000, RUK=15000, Lab=14000, LD=9000))
    assert advice.reason.startswith("Labour came third, 6,000 votes behind")


def test_comfortable_hold_needs_no_tactical_vote():
    advice = seat_advice(analyse(Lab=30000, Con=10000, LD=5000))
    assert advice.kind == AdviceKind.NOT_NEEDED
    assert advice.headline == "Tactical voting is not needed here"
    assert "Labour holds it comfortably, 20,000 votes ahead" in advice.reason
    assert advice.party is None


def test_narrow_hold_says_vote_for_the_holder():
    advice = seat_advice(analyse(Lab=20000, Con=19500, LD=3000))
    assert advice.kind == AdviceKind.HOLD
    assert advice.headline == "Vote Labour to keep this seat"
    assert "500 votes" in advice.reason


def test_out_of_reach_needs_no_tactical_vote():
    advice = seat_advice(analyse(Con=30000, Lab=5000, LD=4000))
    assert advice.kind == AdviceKind.NOT_NEEDED
    assert advice.reason.startswith("No progressive party can win")


def test_a_pact_naming_a_party_outside_the_bloc_is_not_advice():
    advice = seat_advice(analyse(Con=20000, Lab=15000, LD=4000), PactTerms(carries_hopes="Con"))
    assert advice.kind == AdviceKind.TACTICAL
    assert advice.party == "Lab"
    # ... and a non-bloc party listed as standing aside is not named
    advice = seat_advice(
        analyse(Con=20000, Lab=15000, LD=4000),
        PactTerms(carries_hopes="Lab", stands_aside=("RUK",)),
    )
    assert advice.headline == "Vote Labour"


def test_speaker_and_missing_results():
    assert seat_advice(None, speaker_seat=True).kind == AdviceKind.NOT_NEEDED
    assert seat_advice(None).kind == AdviceKind.NO_DATA


# --- Every real 2024 seat ---------------------------------------------------------------------

NON_BLOC_WORDS = ("Conservative", "Reform", "DUP", "Sinn", "Ulster", "Alliance Party", "TUV")


@pytest.fixture
def ge2024(import_real):
    import_real("ge2024")
    return Election.objects.get(slug="ge2024")


def _agree(*, election, seat, carrier, aside, parties):
    staff = [PartyStaffFactory(party=parties[code]).user for code in (carrier, *aside)]
    agreement = services.agreement_propose(
        user=staff[0],
        election=election,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties[carrier],
        stands_aside=[parties[code] for code in aside],
    )
    for user, code in zip(staff, (carrier, *aside), strict=True):
        agreement = services.agreement_accept(agreement=agreement, user=user, party=parties[code])
    assert agreement.status == AgreementStatus.AGREED
    return agreement


def test_every_2024_seat_has_advice_that_follows_results_and_pacts(ge2024, parties):
    seats = {c.name: c for c in Constituency.objects.filter(boundary_set="2024")}
    assert len(seats) == 650
    # Pacts in two seats: one where the carrier was best placed, one where it was not.
    _agree(
        election=ge2024,
        seat=seats["Godalming and Ash"],
        carrier="LD",
        aside=("Lab", "Green"),
        parties=parties,
    )
    _agree(
        election=ge2024, seat=seats["Aldershot"], carrier="Green", aside=("Lab",), parties=parties
    )
    advice = election_advice(ge2024)
    assert set(advice) == {s.pk for s in seats.values()}  # no seat without advice
    by_seat = {seat.pk: seat for seat in seats.values()}
    kinds = dict.fromkeys(AdviceKind, 0)
    for seat_id, item in advice.items():
        kinds[item.kind] += 1
        assert item.headline and item.reason
        assert item.party is None or item.party in DEFAULT_BLOC, by_seat[seat_id]
        for word in NON_BLOC_WORDS:
            assert word not in item.text, (by_seat[seat_id].name, item.text)
    assert advice[seats["Godalming and Ash"].pk].headline == (
        "Greens and Labour stand aside: vote Lib Dem"
    )
    assert advice[seats["Aldershot"].pk].headline == "Labour stands aside: vote Green"
    assert advice[seats["Chorley"].pk].kind == AdviceKind.NOT_NEEDED  # the Speaker's seat
    assert kinds[AdviceKind.PACT] == 2
    assert kinds[AdviceKind.TACTICAL] > 50 and kinds[AdviceKind.NOT_NEEDED] > 300
    assert kinds[AdviceKind.NO_DATA] == 0


def test_tactical_wording_matches_the_2024_numbers(ge2024):
    from seats.targets import election_seat_rows

    advice = election_advice(ge2024)
    checked = 0
    for row in election_seat_rows(ge2024):
        item = advice[row.constituency.pk]
        a = row.analysis
        if item.kind != AdviceKind.TACTICAL:
            continue
        assert item.party == a.best_placed
        behind = a.winner_votes - a.best_placed_votes
        share = f"{100 * a.bloc_share:.0f}%"
        assert f"{behind:,} votes behind" in item.reason
        assert item.reason.endswith(f"progressive parties together had {share}.")
        assert item.headline == f"Vote {party_words(a.best_placed)}"
        checked += 1
    assert checked > 50


def test_one_seat_page_and_the_whole_list_agree(ge2024):
    advice = election_advice(ge2024)
    for seat in Constituency.objects.filter(boundary_set="2024").order_by("name")[:40]:
        assert seat_advice_for(seat).advice == advice[seat.pk]


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_postcode_leads_to_the_seat_advice(client, ge2024, postcodes_server):
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    postcodes_server.answers["GU111AA"] = seat.ons_code
    response = client.get(reverse("seats:advice_lookup"), {"postcode": "gu11 1aa"})
    assert response.status_code == 302
    assert response["Location"] == reverse("seats:advice", args=[seat.ons_code])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "How to vote in Aldershot" in page.content.decode()
    assert seat_advice_for(seat).advice.headline in page.content.decode()
    assert page["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_unplaced_postcode_asks_for_the_seat_and_keeps_it(client, ge2024, postcodes_server):
    response = client.get(reverse("seats:advice_lookup"), {"postcode": "ZZ9 9ZZ"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "We could not place that postcode" in body
    assert 'value="ZZ9 9ZZ"' in body
    assert "Choose a seat" in body and "---------" not in body
    bad = client.get(reverse("seats:advice_lookup"), {"postcode": "12345"})
    assert "Enter a UK postcode" in bad.content.decode()
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    chosen = client.get(reverse("seats:advice_lookup"), {"seat": seat.ons_code})
    assert chosen["Location"] == reverse("seats:advice", args=[seat.ons_code])


@pytest.mark.django_db
def test_embed_may_be_framed_and_nothing_else(client, ge2024):
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    embed = client.get(reverse("seats:advice_embed", args=[seat.ons_code]))
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "<form" not in embed.content.decode()  # read-only
    assert client.post(reverse("seats:advice_embed", args=[seat.ons_code])).status_code == 405
    for url in (reverse("seats:advice", args=[seat.ons_code]), reverse("seats:list")):
        assert client.get(url)["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_advice_page_links_swap_events_groups_and_shares(client, ge2024):
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    body = client.get(reverse("seats:advice", args=[seat.ons_code])).content.decode()
    assert f"/seats/swap/?constituency={seat.pk}" in body
    assert "https://wa.me/?" in body and "Events near you" in body and "Groups covering" in body
    client.force_login(UserFactory())
    swap = client.get(f"/seats/swap/?constituency={seat.pk}").content.decode()
    assert re.search(rf'<option value="{seat.pk}" selected>', swap)


@pytest.mark.django_db
def test_unknown_seat_is_404(client, ge2024):
    assert client.get(reverse("seats:advice", args=["E99999999"])).status_code == 404
    assert client.get(reverse("seats:advice_embed", args=["E99999999"])).status_code == 404


# --- Alerts -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_alert_confirm_change_and_unsubscribe(client, ge2024, parties, settings):
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    url = reverse("seats:advice_alert", args=[seat.ons_code])
    assert client.post(url, {"email": "voter@example.net"}).status_code == 302
    assert client.post(url, {"email": "voter@example.net"}).status_code == 302  # asked twice
    alert = AdviceAlert.objects.get()
    confirmations = OutboxEmail.objects.filter(key__startswith="advice-alert-confirm:")
    assert confirmations.count() == 1
    email = confirmations.get()
    assert alert.token in email.body_text and "List-Unsubscribe" in email.headers
    # A GET (a mail scanner) does not confirm; the POST does.
    confirm = reverse("seats:alert_confirm", args=[alert.token])
    assert client.get(confirm).status_code == 200
    alert.refresh_from_db()
    assert alert.confirmed_at is None
    client.post(confirm)
    alert.refresh_from_db()
    assert alert.confirmed_at is not None
    assert alert.advice_text == seat_advice_for(seat).advice.text
    # Nothing changed: nothing to send.
    assert services.advice_alerts_notify(constituency_id=seat.pk) == 0
    # A pact is agreed: one email, even if the notification runs twice.
    _agree(election=ge2024, seat=seat, carrier="Green", aside=("Lab", "LD"), parties=parties)
    services.advice_alerts_notify(constituency_id=seat.pk)
    services.advice_alerts_notify(constituency_id=seat.pk)
    changed = OutboxEmail.objects.filter(key__startswith=f"advice-alert:{alert.pk}:")
    assert changed.count() == 1
    assert "vote Green" in changed.get().body_text
    # The pact is withdrawn: a second email, with the advice before the pact.
    agreement = Agreement.objects.get(constituency=seat)
    staff = PartyStaffFactory(party=parties["Lab"]).user
    services.agreement_withdraw(agreement=agreement, user=staff, party=parties["Lab"])
    services.advice_alerts_notify(constituency_id=seat.pk)
    assert changed.count() == 2
    # Unsubscribe without signing in: GET asks, POST deletes.
    unsubscribe = reverse("seats:alert_unsubscribe", args=[alert.token])
    assert client.get(unsubscribe).status_code == 200
    assert AdviceAlert.objects.exists()
    client.post(unsubscribe)
    assert not AdviceAlert.objects.exists()
    assert len(mail.outbox) == 0  # everything goes through the outbox


@pytest.mark.django_db
def test_alert_request_limits(client, ge2024):
    seats = list(Constituency.objects.filter(boundary_set="2024").order_by("name")[:5])
    for seat in seats[: services.ADVICE_ALERTS_UNCONFIRMED_MAX]:
        services.advice_alert_request(email="x@example.net", constituency=seat)
    response = client.post(
        reverse("seats:advice_alert", args=[seats[-1].ons_code]), {"email": "X@example.net"}
    )
    assert response.status_code == 400
    assert "confirm those first" in response.content.decode()
    bad = client.post(reverse("seats:advice_alert", args=[seats[0].ons_code]), {"email": "nope"})
    assert bad.status_code == 400 and "valid email" in bad.content.decode()
    assert client.get(reverse("seats:alert_confirm", args=["nosuchtoken"])).status_code == 404


@pytest.mark.django_db
def test_alert_in_export_and_erase(ge2024):
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    user = UserFactory(email="voter@example.net")
    services.advice_alert_request(email="Voter@example.net", constituency=seat)
    services.advice_alert_request(email="someone@example.net", constituency=seat)
    exported = personal_data.export(user)["advice_alerts"]
    assert [a["constituency"] for a in exported] == ["Aldershot"]
    personal_data.erase(user)
    assert list(AdviceAlert.objects.values_list("email", flat=True)) == ["someone@example.net"]


def test_party_words_cover_the_bloc():
    assert {party_words(code) for code in DEFAULT_BLOC} == {
        "Labour",
        "Lib Dem",
        "Green",
        "SNP",
        "Plaid Cymru",
    }


@pytest.mark.django_db
def test_cached_advice_follows_a_new_pact(
    client, ge2024, parties, django_capture_on_commit_callbacks
):
    seat = Constituency.objects.get(boundary_set="2024", name="Aldershot")
    url = reverse("seats:advice", args=[seat.ons_code])
    before = _between(client.get(url), '<article class="advice-card"', "</article>")
    assert "stand aside: vote Green" not in before
    assert _between(client.get(url), '<article class="advice-card"', "</article>") == before
    with django_capture_on_commit_callbacks(execute=True):
        _agree(election=ge2024, seat=seat, carrier="Green", aside=("Lab", "LD"), parties=parties)
    assert "Labour and Lib Dems stand aside: vote Green" in client.get(url).content.decode()


@pytest.mark.django_db
def test_cached_target_list_follows_a_reimport(client, ge2024, shared_data):
    from django.core.management import call_command

    from seats.models import Result

    url = reverse("seats:list") + "?election=ge2024&order=name"
    first = _between(client.get(url), "<table", "</table>")
    assert "Aberafan Maesteg" in first
    # Labour's vote in the first seat changes, and the importer says so.
    Result.objects.filter(
        election=ge2024, constituency__name="Aberafan Maesteg", party__short_name="Lab"
    ).update(votes=1)
    assert _between(client.get(url), "<table", "</table>") == first  # nothing said yet: cached
    call_command("seats_import_results", str(shared_data / "ge2024_results.csv"), election="ge2024")
    again = _between(client.get(url), "<table", "</table>")
    assert again == first  # the file restored the real votes, the list is recomputed from it
    Result.objects.filter(
        election=ge2024, constituency__name="Aberafan Maesteg", party__short_name="Lab"
    ).update(votes=1)
    from seats.targets import results_changed

    results_changed(ge2024)
    changed = _between(client.get(url), "<table", "</table>")
    assert changed != first  # Labour no longer holds it: the row shows another winner


def _between(response, start: str, end: str) -> str:
    body = response.content.decode()
    return body[body.index(start) : body.index(end, body.index(start))]


def test_an_open_primary_not_yet_counted_names_no_party():
    """Its pact's roles are placeholders until the primary chooses: the advice must not tell
    anyone to vote for the party that happened to be listed first."""
    pending = PactTerms(carries_hopes="Lab", stands_aside=("LD", "Green"), primary_pending=True)
    advice = seat_advice(analyse(Con=20000, Lab=15000, LD=4000), pending)
    assert advice.party is None
    assert advice.headline == "Local voters choose the candidate here in an open primary"
    chosen = PactTerms(carries_hopes="Green", stands_aside=("LD", "Lab"))
    assert seat_advice(analyse(Con=20000, Lab=15000, LD=4000), chosen).party == "Green"

"""Set-up, registration, review, casting, counting and clean-up, through the services."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from primaries import services
from primaries.models import Ballot, PrimaryStatus, Voter, VoterStatus
from seats.models import AgreementRole
from tests.primaries.conftest import (
    INSIDE,
    OUTSIDE,
    UNKNOWN,
    deliver,
    link_token,
    register_and_confirm,
    set_up,
)

pytestmark = pytest.mark.django_db


# --- Set-up ------------------------------------------------------------------------------------


def test_nothing_opens_until_every_party_has_accepted(pw):
    primary = set_up(pw, accept=False)
    for party, person in list(zip(pw.parties, pw.staff, strict=True))[:2]:
        services.primary_accept(primary=primary, user=person, party=party)
        primary.refresh_from_db()
        assert primary.status == PrimaryStatus.SETUP
    services.primary_accept(primary=primary, user=pw.staff[2], party=pw.parties[2])
    primary.refresh_from_db()
    assert primary.status == PrimaryStatus.AGREED
    assert primary.agreed_at is not None


def test_changing_the_rules_or_a_candidate_resets_every_acceptance(pw):
    primary = set_up(pw)
    assert primary.acceptances.count() == 3
    services.candidate_save(
        primary=primary,
        user=pw.staff[1],
        party=pw.parties[1],
        name="Someone Else",
        statement="New statement",
        red_lines="",
    )
    primary.refresh_from_db()
    assert primary.acceptances.count() == 0
    assert primary.status == PrimaryStatus.SETUP
    version = primary.rules_version
    for party, person in zip(pw.parties, pw.staff, strict=True):
        services.primary_accept(primary=primary, user=person, party=party)
    services.primary_rules_set(
        primary=primary,
        user=pw.staff[2],
        electorate="members",
        counting_method="irv",
        registration_opens_at=primary.registration_opens_at,
        registration_closes_at=primary.registration_closes_at,
        voting_opens_at=primary.voting_opens_at,
        voting_closes_at=primary.voting_closes_at,
    )
    primary.refresh_from_db()
    assert primary.acceptances.count() == 0 and primary.rules_version > version
    assert [h.action for h in primary.history.all()].count("changed") >= 2


def test_saving_the_same_thing_again_keeps_the_acceptances(pw):
    primary = set_up(pw)
    candidate = primary.candidates.get(party=pw.parties[0])
    services.candidate_save(
        primary=primary,
        user=pw.staff[0],
        party=pw.parties[0],
        name=candidate.name,
        statement=candidate.statement,
        red_lines=candidate.red_lines,
    )
    assert primary.acceptances.count() == 3


def test_staff_of_another_party_cannot_nominate_accept_or_set_rules_for_a_party(pw):
    primary = set_up(pw, accept=False)
    with pytest.raises(PermissionDenied):  # staff of party 0 nominating for party 1
        services.candidate_save(
            primary=primary,
            user=pw.staff[0],
            party=pw.parties[1],
            name="X",
            statement="Y",
            red_lines="",
        )
    with pytest.raises(PermissionDenied):
        services.primary_accept(primary=primary, user=pw.staff[0], party=pw.parties[1])
    with pytest.raises(PermissionDenied):  # a party outside the agreement, by its own staff
        from groups.models import Party

        outside = Party.objects.get(short_name="AP")
        services.candidate_save(
            primary=primary,
            user=pw.outsider_staff,
            party=outside,
            name="X",
            statement="Y",
            red_lines="",
        )


def test_the_dates_must_run_in_order(pw):
    primary = services.primary_for_agreement(agreement=pw.agreement)
    start = pw.at("setup")
    with pytest.raises(ValidationError):
        services.primary_rules_set(
            primary=primary,
            user=pw.staff[0],
            electorate="residents",
            counting_method="irv",
            registration_opens_at=start + timedelta(days=2),
            registration_closes_at=start + timedelta(days=1),
            voting_opens_at=start + timedelta(days=3),
            voting_closes_at=start + timedelta(days=4),
        )


def test_no_changes_to_candidates_once_voting_opens_nor_rules_once_registration_opens(pw, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    with pytest.raises(PermissionDenied):
        services.primary_rules_set(
            primary=primary,
            user=pw.staff[0],
            electorate="members",
            counting_method="irv",
            registration_opens_at=primary.registration_opens_at,
            registration_closes_at=primary.registration_closes_at,
            voting_opens_at=primary.voting_opens_at,
            voting_closes_at=primary.voting_closes_at,
        )
    travel(pw.at("voting"))
    with pytest.raises(PermissionDenied):
        services.candidate_save(
            primary=primary,
            user=pw.staff[0],
            party=pw.parties[0],
            name="Late",
            statement="x",
            red_lines="",
        )
    with pytest.raises(PermissionDenied):
        services.primary_accept(primary=primary, user=pw.staff[0], party=pw.parties[0])


# --- "Can I vote?" and registration -----------------------------------------------------------


def test_can_i_vote_before_registration_opens(pw, lookup):
    primary = set_up(pw)
    yes = services.can_i_vote(primary=primary, postcode="pr11aa")
    assert yes.answer == "yes" and "Registration opens on" in yes.reason
    no = services.can_i_vote(primary=primary, postcode=OUTSIDE)
    assert no.answer == "no" and "not in Primaryton" in no.reason
    check = services.can_i_vote(primary=primary, postcode=UNKNOWN)
    assert check.answer == "check" and "a person will check" in check.reason
    bad = services.can_i_vote(primary=primary, postcode="not a postcode")
    assert bad.answer == "no"


def test_register_confirm_and_one_registration_per_person(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    voter = register_and_confirm(primary, "Jo.Bloggs+primary@GoogleMail.com")
    assert voter.status == VoterStatus.REGISTERED and voter.postcode_verified
    again = services.voter_register(primary=primary, email="jobloggs@gmail.com", postcode=INSIDE)
    assert not again.created
    assert primary.roll.count() == 1


def test_outside_the_seat_is_refused_and_nothing_is_kept(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    with pytest.raises(ValidationError) as error:
        services.voter_register(primary=primary, email="far@example.org", postcode=OUTSIDE)
    assert "not in Primaryton" in str(error.value)
    assert primary.roll.count() == 0


def test_a_postcode_the_lookup_cannot_answer_is_held_for_review(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    voter = register_and_confirm(primary, "held@example.org", postcode=UNKNOWN)
    assert voter.status == VoterStatus.HELD
    services.voter_review(primary=primary, voter=voter, user=pw.staff[1], strike=False)
    voter.refresh_from_db()
    assert voter.status == VoterStatus.REGISTERED and voter.reviewed_by == pw.staff[1]


def test_no_registration_before_opening_or_after_closing(pw, lookup, travel):
    primary = set_up(pw)
    with pytest.raises(PermissionDenied, match="Registration opens"):
        services.voter_register(primary=primary, email="early@example.org", postcode=INSIDE)
    travel(pw.at("registration_closed"))
    with pytest.raises(PermissionDenied, match="closed"):
        services.voter_register(primary=primary, email="late@example.org", postcode=INSIDE)


def test_members_only_needs_the_declaration(pw, lookup, travel):
    primary = set_up(pw, electorate="members")
    travel(pw.at("registration"))
    with pytest.raises(ValidationError):
        services.voter_register(primary=primary, email="m@example.org", postcode=INSIDE)
    outcome = services.voter_register(
        primary=primary, email="m@example.org", postcode=INSIDE, declared_member=True
    )
    assert outcome.voter.declared_member


def test_one_confirmation_email_and_a_resend_is_rate_limited(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    services.voter_register(primary=primary, email="once@example.org", postcode=INSIDE)
    again = services.voter_register(primary=primary, email="Once@Example.org", postcode=INSIDE)
    assert again.resent is False  # within PRIMARIES_RESEND_SECONDS of the first email
    messages = deliver()
    assert len(messages) == 1
    assert messages[0].to == ["once@example.org"]
    assert "\n" not in messages[0].subject
    assert not deliver()[1:]  # delivering again sends nothing more
    token = link_token(messages[0].body, "/primaries/confirm/")
    assert primary.roll.get().confirm_token_hash == services.secret_hash(token)
    assert token not in str(primary.roll.values().get())  # the roll holds only the hash


def test_staff_strike_with_a_reason_before_voting_only(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    voter = register_and_confirm(primary, "strike@example.org")
    with pytest.raises(ValidationError):
        services.voter_review(primary=primary, voter=voter, user=pw.staff[0], strike=True)
    with pytest.raises(PermissionDenied):
        services.voter_review(
            primary=primary, voter=voter, user=pw.outsider_staff, strike=True, reason="x"
        )
    other = register_and_confirm(primary, "keep@example.org", postcode=INSIDE)
    services.voter_review(
        primary=primary, voter=voter, user=pw.staff[0], strike=True, reason="Lives elsewhere"
    )
    voter.refresh_from_db()
    assert voter.status == VoterStatus.STRUCK and voter.review_reason == "Lives elsewhere"
    assert primary.history.filter(action="struck off", detail__contains="Lives elsewhere").exists()
    travel(pw.at("voting"))
    with pytest.raises(PermissionDenied):
        services.voter_review(
            primary=primary, voter=other, user=pw.staff[0], strike=True, reason="too late"
        )


# --- Voting ----------------------------------------------------------------------------------


def _voting(pw, travel, lookup, n=3, **kwargs):
    primary = set_up(pw, **kwargs)
    travel(pw.at("registration"))
    for i in range(n):
        register_and_confirm(primary, f"voter{i}@example.org")
    travel(pw.at("voting"))
    mail.outbox.clear()
    assert services.ballots_send_due() == n
    assert services.ballots_send_due() == 0  # sent once
    tokens = {m.to[0]: link_token(m.body, "/primaries/vote/") for m in deliver()}
    return primary, tokens


def test_ballot_links_are_emailed_once_when_voting_opens(pw, lookup, travel):
    primary, tokens = _voting(pw, travel, lookup)
    assert len(tokens) == 3 and len(mail.outbox) == 3


def test_cast_once_with_a_receipt_that_proves_inclusion_only(pw, lookup, travel):
    primary, tokens = _voting(pw, travel, lookup)
    ids = list(primary.candidates.values_list("pk", flat=True))
    receipt = services.ballot_cast(token=tokens["voter0@example.org"], ranking=ids[:2])
    assert services.receipt_is_counted(primary=primary, code=receipt)
    assert services.receipt_is_counted(primary=primary, code=receipt.lower().replace("-", " "))
    assert not services.receipt_is_counted(primary=primary, code="AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(PermissionDenied, match="already"):
        services.ballot_cast(token=tokens["voter0@example.org"], ranking=ids[:1])
    assert Ballot.objects.count() == 1
    assert Voter.objects.filter(voted=True).count() == 1


def test_invalid_rankings_are_refused_and_the_vote_is_not_used_up(pw, lookup, travel):
    primary, tokens = _voting(pw, travel, lookup)
    ids = list(primary.candidates.values_list("pk", flat=True))
    token = tokens["voter1@example.org"]
    for bad in ([], [ids[0], ids[0]], [999999]):
        with pytest.raises(ValidationError):
            services.ballot_cast(token=token, ranking=bad)
    assert not Voter.objects.get(email="voter1@example.org").voted
    services.ballot_cast(token=token, ranking=[ids[1]])


def test_no_vote_before_opening_or_after_closing(pw, lookup, travel):
    primary, tokens = _voting(pw, travel, lookup)
    ids = list(primary.candidates.values_list("pk", flat=True))
    travel(pw.at("registration_closed"))
    with pytest.raises(PermissionDenied, match="not opened"):
        services.ballot_cast(token=tokens["voter0@example.org"], ranking=ids)
    travel(pw.at("closed"))
    with pytest.raises(PermissionDenied, match="closed"):
        services.ballot_cast(token=tokens["voter0@example.org"], ranking=ids)
    with pytest.raises(PermissionDenied):
        services.ballot_cast(token="forged", ranking=ids)
    assert Ballot.objects.count() == 0


def test_no_ballot_for_a_struck_registration(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    voter = register_and_confirm(primary, "struck@example.org")
    services.voter_review(primary=primary, voter=voter, user=pw.staff[0], strike=True, reason="r")
    travel(pw.at("voting"))
    assert services.ballots_send_due() == 0


def test_the_roll_and_the_box_share_no_key_and_no_time():
    """The secrecy is in the schema: a ballot has no foreign key but the primary, and no date
    or time at all; the roll has no field that says when someone voted."""
    from django.db import models

    ballot_fields = {f.name: f for f in Ballot._meta.get_fields()}
    assert set(ballot_fields) == {"id", "primary", "ranking", "receipt_hash"}
    assert isinstance(ballot_fields["id"], models.UUIDField)
    assert not any(
        isinstance(f, models.DateField | models.DateTimeField) for f in ballot_fields.values()
    )
    voter_fields = {f.name for f in Voter._meta.get_fields()}
    assert "voted" in voter_fields
    assert not {n for n in voter_fields if "vot" in n and n != "voted"}


def test_casting_costs_the_same_queries_whatever_the_size(
    pw, lookup, travel, django_assert_num_queries
):
    primary, tokens = _voting(pw, travel, lookup, n=12)
    ids = list(primary.candidates.values_list("pk", flat=True))
    tokens = list(tokens.values())
    with django_assert_num_queries(5):  # savepoint, lock+read, update, insert, release
        services.ballot_cast(token=tokens[0], ranking=ids)
    for token in tokens[1:-1]:
        services.ballot_cast(token=token, ranking=ids[::-1])
    with django_assert_num_queries(5):
        services.ballot_cast(token=tokens[-1], ranking=ids[:1])


# --- Counting and after -----------------------------------------------------------------------


def test_count_after_the_close_names_the_winner_in_the_agreement(pw, lookup, travel):
    primary, tokens = _voting(pw, travel, lookup, n=5)
    by_party = {c.party.short_name: c.pk for c in primary.candidates.select_related("party")}
    rankings = [["LD", "Lab"], ["LD"], ["Lab", "LD"], ["Green", "LD"], ["Lab", "Green"]]
    for token, ranking in zip(tokens.values(), rankings, strict=True):
        services.ballot_cast(token=token, ranking=[by_party[p] for p in ranking])
    assert services.primaries_count_due() == 0  # not before the close
    ids_while_voting = set(Ballot.objects.values_list("id", flat=True))
    travel(pw.at("closed"))
    mail.outbox.clear()
    assert services.primaries_count_due() == 1
    assert services.primaries_count_due() == 0  # once
    primary.refresh_from_db()
    assert primary.status == PrimaryStatus.COUNTED
    # Round 1: LD 2, Lab 2, Green 1 -> Green out, its ballot goes to LD: LD 3 of 5.
    assert primary.winner.party.short_name == "LD"
    assert [len(r["tallies"]) for r in primary.result["rounds"]] == [3, 2]
    assert primary.ballot_count == 5 and primary.registered_count == 5
    roles = {ap.party.short_name: ap.role for ap in pw.agreement.parties.select_related("party")}
    assert roles == {
        "LD": AgreementRole.CARRIES_HOPES,
        "Lab": AgreementRole.STANDS_ASIDE,
        "Green": AgreementRole.STANDS_ASIDE,
    }
    assert pw.agreement.history.filter(action="carrier set").exists()
    # The box was rewritten at the count (new ids, new order); receipts still prove inclusion.
    assert Ballot.objects.filter(primary=primary).count() == 5
    assert not ids_while_voting & set(Ballot.objects.values_list("id", flat=True))


def test_result_emails_go_to_every_partys_staff_once(pw, lookup, travel):
    primary, tokens = _voting(pw, travel, lookup, n=2)
    ids = list(primary.candidates.values_list("pk", flat=True))
    for token in tokens.values():
        services.ballot_cast(token=token, ranking=ids)
    travel(pw.at("closed"))
    mail.outbox.clear()
    services.primaries_count_due()
    services.primaries_count_due()
    messages = deliver()
    assert sorted(m.to[0] for m in messages) == sorted(u.email for u in pw.staff)
    assert all(m.subject.endswith("Open primary result in Primaryton") for m in messages)
    primary.refresh_from_db()
    assert all(f"The winner is {primary.winner.name}" in m.body for m in messages)
    # The voters' links left the outbox with the count; the staff emails stay.
    from outbox.models import OutboxEmail

    keys = list(OutboxEmail.objects.values_list("key", flat=True))
    assert keys and all(":result:" in key for key in keys)


def test_the_roll_is_deleted_after_the_retention_period_and_the_counts_stay(
    pw, lookup, travel, settings
):
    settings.PRIMARIES_ROLL_RETENTION_DAYS = 10
    primary, tokens = _voting(pw, travel, lookup, n=2)
    ids = list(primary.candidates.values_list("pk", flat=True))
    services.ballot_cast(token=next(iter(tokens.values())), ranking=ids)
    travel(pw.at("closed"))
    services.primaries_count_due()
    assert services.rolls_delete_due() == 0  # too soon
    travel(pw.at("closed") + timedelta(days=11))
    assert services.rolls_delete_due() == 1
    primary.refresh_from_db()
    assert primary.roll.count() == 0 and primary.roll_deleted_at is not None
    assert primary.ballot_count == 1 and primary.registered_count == 2
    assert Ballot.objects.filter(primary=primary).count() == 1
    assert services.rolls_delete_due() == 0


def test_a_withdrawn_agreement_is_counted_but_its_roles_are_left_alone(pw, lookup, travel):
    from seats import services as seat_services

    primary, tokens = _voting(pw, travel, lookup, n=1)
    green = primary.candidates.get(party=pw.parties[2]).pk
    services.ballot_cast(token=next(iter(tokens.values())), ranking=[green])
    seat_services.agreement_withdraw(
        agreement=pw.agreement, user=pw.staff[1], party=pw.parties[1], reason="Changed our mind"
    )
    travel(pw.at("closed"))
    assert services.primaries_count_due() == 1
    primary.refresh_from_db()
    assert primary.status == PrimaryStatus.COUNTED and primary.winner.party == pw.parties[2]
    roles = dict(pw.agreement.parties.values_list("party_id", "role"))
    assert roles[pw.parties[0].pk] == AgreementRole.CARRIES_HOPES  # unchanged
    assert primary.history.filter(action="not applied").exists()

"""50 voters casting at once (threads, each its own database connection, against the real
service): every ballot recorded exactly once, and a voter who submits twice at the same moment
gets one ballot, not two."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from primaries import services
from primaries.models import Ballot, Voter, VoterStatus


@pytest.fixture
def pw(transactional_db, pw):
    """The shared world, in a real (committed) database: the threads have their own
    connections and see only committed rows."""
    return pw


def _open_primary_with_roll(pw, n):
    from tests.primaries.conftest import set_up

    primary = set_up(pw)
    # The roll is built with the ORM here (registration has its own tests); the ballot links
    # are made as ballots_send_due makes them: a token, stored hashed.
    primary.voting_opens_at = timezone.now() - timedelta(minutes=1)
    primary.registration_closes_at = primary.voting_opens_at
    primary.registration_opens_at = primary.voting_opens_at - timedelta(days=1)
    primary.save()
    tokens = []
    for i in range(n):
        token = f"token-{i}-{'x' * 20}"
        Voter.objects.create(
            primary=primary,
            email=f"c{i}@example.org",
            email_normalised=f"c{i}@example.org",
            postcode="PR1 1AA",
            postcode_verified=True,
            status=VoterStatus.REGISTERED,
            ballot_token_hash=services.secret_hash(token),
        )
        tokens.append(token)
    return primary, tokens


def _run_together(jobs):
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", job())
        except Exception as error:  # noqa: BLE001 - recorded and asserted on below
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_concurrent_voters_each_recorded_exactly_once(pw):
    primary, tokens = _open_primary_with_roll(pw, 50)
    ids = list(primary.candidates.values_list("pk", flat=True))
    # Every voter once, and ten of them a second time at the same moment (a double click).
    jobs = [
        (lambda t=token, i=i: services.ballot_cast(token=t, ranking=ids[i % 3 :] + ids[: i % 3]))
        for i, token in enumerate(tokens)
    ]
    jobs += [
        (lambda t=token: services.ballot_cast(token=t, ranking=ids[:1])) for token in tokens[:10]
    ]
    results = _run_together(jobs)
    oks = [value for kind, value in results if kind == "ok"]
    errors = [value for kind, value in results if kind == "error"]
    assert len(oks) == 50, errors
    assert len(errors) == 10 and all(isinstance(e, PermissionDenied) for e in errors), errors
    assert Ballot.objects.filter(primary=primary).count() == 50
    assert Voter.objects.filter(primary=primary, voted=True).count() == 50
    assert len(set(oks)) == 50  # 50 distinct receipts
    assert all(services.receipt_is_counted(primary=primary, code=r) for r in oks)


def test_the_count_waits_for_ballots_being_cast(pw):
    """A ballot whose transaction holds its locks when the count starts is in the count; the
    count's lock on the primary makes it wait rather than miss it."""
    from django.db import transaction

    primary, tokens = _open_primary_with_roll(pw, 1)
    ids = list(primary.candidates.values_list("pk", flat=True))
    cast_holding = threading.Event()
    release = threading.Event()

    def slow_cast():
        with transaction.atomic():
            receipt = services.ballot_cast(token=tokens[0], ranking=ids)
            cast_holding.set()
            release.wait(timeout=30)
        return receipt

    def count_after_close():
        cast_holding.wait(timeout=30)
        closes = timezone.now() + timedelta(seconds=1)
        # Close voting now (as if the deadline had just passed), then count.
        type(primary).objects.filter(pk=primary.pk).update(voting_closes_at=closes)
        threading.Timer(0.5, release.set).start()
        return services.primary_count(primary_id=primary.pk, now=closes + timedelta(seconds=1))

    results = _run_together([slow_cast, count_after_close])
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    primary.refresh_from_db()
    assert primary.ballot_count == 1


def _xmins(table: str, primary) -> list[tuple[int, str]]:
    """(transaction id that wrote the live row, its id) for each row, in physical order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text::bigint, id::text FROM {table} WHERE primary_id = %s ORDER BY ctid",
            [primary.pk],
        )
        return cursor.fetchall()


def test_after_the_count_no_ballot_shares_a_transaction_or_an_order_with_the_roll(pw):
    """While voting, PostgreSQL's `xmin` pairs each ballot with the roll row marked in the same
    transaction (the limit primaries/README.md names). After the count every ballot has been
    re-inserted by the count's transaction, in the order of new random ids."""
    primary, tokens = _open_primary_with_roll(pw, 12)
    ids = list(primary.candidates.values_list("pk", flat=True))
    for i, token in enumerate(tokens):  # each cast commits on its own, as in production
        services.ballot_cast(token=token, ranking=ids[i % 3 :] + ids[: i % 3])
    roll = {xmin for xmin, _ in _xmins("primaries_voter", primary)}
    assert {xmin for xmin, _ in _xmins("primaries_ballot", primary)} <= roll  # the limit

    closes = timezone.now()
    type(primary).objects.filter(pk=primary.pk).update(voting_closes_at=closes)
    assert services.primary_count(primary_id=primary.pk, now=closes + timedelta(seconds=1))
    box = _xmins("primaries_ballot", primary)
    assert len(box) == 12
    assert len({xmin for xmin, _ in box}) == 1  # one transaction wrote them all
    assert not {xmin for xmin, _ in box} & roll
    assert [ballot_id for _, ballot_id in box] == sorted(ballot_id for _, ballot_id in box)
    services.ballots_vacuum()  # outside a transaction, as the task runs it
    primary.refresh_from_db()
    assert primary.ballot_count == 12

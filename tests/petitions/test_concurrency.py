"""200 concurrent confirmations on one petition, each thread on its own database connection."""

import threading

import pytest
from django.db import connection

from petitions.models import PetitionTally, Signature, SignatureStatus
from petitions.services.counting import petition_count, petitions_count_recent
from petitions.services.signing import signature_confirm, signature_create
from tests.factories import GroupFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

# PostgreSQL here allows 100 connections, shared with the other developers' test runs: at most
# this many of the 200 threads hold a connection at the same moment.
MAX_CONNECTIONS = 40


@pytest.mark.slow
def test_200_concurrent_confirmations_count_exactly(transactional_db):
    petition = PetitionFactory(group=GroupFactory())
    signatures = SignatureFactory.create_batch(200, petition=petition)
    start = threading.Barrier(200)
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)
    errors: list[BaseException] = []
    stop_counting = threading.Event()

    def confirm(signature):
        try:
            start.wait(timeout=30)
            with gate:
                try:
                    signature_confirm(token=signature.token)
                    # The same person signs again with a variant of their email: no new row.
                    outcome = signature_create(
                        petition=petition,
                        name="Again",
                        email=signature.email.upper(),
                        postcode="SW1A 1AA",
                    )
                    assert not outcome.created
                    signature_confirm(token=signature.token)  # twice is harmless
                finally:
                    connection.close()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def count_meanwhile():
        try:
            while not stop_counting.is_set():
                petition_count(petition_id=petition.pk)
        finally:
            connection.close()

    counter = threading.Thread(target=count_meanwhile)
    counter.start()
    threads = [threading.Thread(target=confirm, args=(s,)) for s in signatures]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stop_counting.set()
    counter.join(timeout=30)
    assert not errors, errors[:3]

    petitions_count_recent()  # the beat task's work, once the storm is over
    confirmed_rows = Signature.objects.filter(
        petition=petition, status=SignatureStatus.CONFIRMED
    ).count()
    assert confirmed_rows == 200
    assert PetitionTally.objects.get(petition=petition).confirmed_count == confirmed_rows
    assert Signature.objects.filter(petition=petition).count() == 200
    assert (
        Signature.objects.filter(petition=petition).values("email_normalised").distinct().count()
        == 200
    )

import pytest

from tests.factories import ConstituencyFactory
from tests.petitions.factories import PetitionFactory


@pytest.fixture(autouse=True)
def _confirmations_at_once(settings):
    """Tests send each confirmation at once instead of batching them over a second."""
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0


@pytest.fixture
def petition(group):
    return PetitionFactory(group=group, title="Work with pro-EU groups")


@pytest.fixture
def constituencies(db):
    return [ConstituencyFactory(boundary_set="2024", name=f"Seat {i}") for i in range(3)]


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process (emails land in mail.outbox). The worker tests use a real one."""
    from alliance.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


def link_from(message, name: str) -> str:
    """The path of the confirm/remove/unsubscribe link in an email's plain-text body."""
    import re

    match = re.search(rf"https?://[^/\s]+(/petitions/s/[^/\s]+/{name}/)", message.body)
    assert match, message.body
    return match.group(1)

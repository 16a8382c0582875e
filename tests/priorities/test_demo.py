import pytest

from groups.demo import load as groups_demo_load
from priorities.demo import STATEMENT_TITLE, TITLE, load
from priorities.models import Note, Round, RoundStatus, Statement

pytestmark = pytest.mark.django_db


def test_demo_round_is_a_labelled_sample_loaded_once():
    groups_demo_load()
    round_ = load()
    assert "(sample)" in round_.title and round_.status == RoundStatus.CLOSED
    assert Note.objects.filter(round=round_, cluster__isnull=True).count() == 0
    statement = Statement.objects.get()
    assert statement.title == STATEMENT_TITLE
    assert statement.endorsements.count() == 2
    assert load().pk == round_.pk
    assert Round.objects.filter(title=TITLE).count() == 1


def test_demo_load_command_includes_priorities():
    from groups.management.commands.demo_load import DEMO_MODULES

    assert "priorities.demo" in DEMO_MODULES

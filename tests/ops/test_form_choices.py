"""No select offers Django's "---------": forms label their blank choice, filters say "Any"."""

import pytest

from clashes.filters import ClashFilter
from events.forms import EventForm
from groups.forms import GroupForm

pytestmark = pytest.mark.django_db


def test_forms_label_the_blank_choice():
    group_form = GroupForm()
    assert group_form.fields["party"].empty_label == "None"  # optional: a group may have none
    assert list(group_form.fields["kind"].choices)[0] == ("", "Choose one")  # required
    html = str(group_form) + str(EventForm())
    assert "---------" not in html


def test_list_filters_offer_any_and_name_every_field():
    form = ClashFilter(data={}).form
    html = str(form)
    assert "---------" not in html and "[invalid name]" not in html
    assert [form[name].label for name in ("region", "party", "status")] == [
        "Region",
        "Party",
        "Status",
    ]

import io

import pytest

from seats import demo
from seats.models import Constituency, Contest

pytestmark = pytest.mark.django_db


def test_demo_loads_the_real_data_when_it_is_there(shared_data, parties, monkeypatch):
    monkeypatch.setenv("ALLIANCE_SHARED_DATA", str(shared_data))
    out = io.StringIO()
    assert demo.load(stdout=out) is True
    assert Contest.objects.count() == 1950
    assert not Constituency.objects.exclude(boundary_set="sample").filter(hex_q=None).exists()
    assert "ge2024 results: 650 seats imported" in out.getvalue()


def test_demo_does_nothing_without_the_data(tmp_path, parties, monkeypatch):
    monkeypatch.setenv("ALLIANCE_SHARED_DATA", str(tmp_path / "absent"))
    out = io.StringIO()
    assert demo.load(stdout=out) is False
    assert "no real election data" in out.getvalue()
    assert not Contest.objects.exists()

import pytest
from django.urls import reverse

from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_and_directory_render(client):
    GroupFactory(name="Fairhaven for Europe")
    assert client.get(reverse("home")).status_code == 200
    response = client.get(reverse("groups:list"))
    assert response.status_code == 200
    assert "Fairhaven for Europe" in response.content.decode()


def test_member_who_is_not_organiser_cannot_edit(client, group):
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(reverse("groups:edit", args=[group.slug])).status_code == 403

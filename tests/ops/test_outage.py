"""During a database or Redis outage a visitor gets the 503 "try again" page, never a 500."""

import pytest
from django.db import connection

from tests.factories import GroupFactory


def _assert_try_again(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Please try again" in response.content
    assert b"Traceback" not in response.content


def test_redis_down_while_sending_a_contact_message(client, db, settings, closed_port, mailoutbox):
    """The contact form's rate limit lives in Redis: with Redis gone, say try again."""
    group = GroupFactory()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    response = client.post(
        f"/groups/{group.slug}/contact/",
        {"name": "Ann", "email": "ann@example.org", "message": "Hello", "website": ""},
    )
    _assert_try_again(response)
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_database_down_on_a_page(closed_port, monkeypatch, quiet_client):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port))
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    try:
        response = quiet_client.get("/groups/")
    finally:
        connection.close()
    _assert_try_again(response)


@pytest.mark.django_db(transaction=True)
def test_database_down_for_a_signed_in_visitor(closed_port, monkeypatch, quiet_client, user):
    """The session and the user are loaded from the database too."""
    quiet_client.force_login(user)
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port))
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    try:
        response = quiet_client.get("/groups/")
    finally:
        connection.close()
    _assert_try_again(response)


def test_a_real_bug_is_still_a_500(quiet_client, db, monkeypatch):
    """Only outages become 503: a programming error stays a 500 (and is reported)."""
    import groups.views

    def broken(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(groups.views.Paginator, "get_page", broken)
    response = quiet_client.get("/groups/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_outage_raised_outside_a_view_gives_503_through_handler500(rf):
    """Middleware errors never reach process_exception: Django's handler500 turns them into
    a response inside its `except` block, where error_500 recognises the outage."""
    from django.db import OperationalError

    from alliance.views import error_500

    try:
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    except OperationalError:
        response = error_500(rf.get("/"))
    _assert_try_again(response)

    try:
        raise KeyError("a bug")
    except KeyError:
        response = error_500(rf.get("/"))
    assert response.status_code == 500


def test_broker_down_when_queueing_a_task_is_an_outage():
    from kombu.exceptions import OperationalError as BrokerError

    from alliance.middleware import is_outage

    assert is_outage(BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused."))
    assert not is_outage(ValueError("connection"))

"""RFC 8058 one-click unsubscribe: the List-Unsubscribe header of every conversations email
names an endpoint a mail provider can POST "List-Unsubscribe=One-Click" to without a CSRF
token. It takes only a signed token, does nothing but unsubscribe, and refuses the rest."""

from django.test import Client
from django.utils import timezone

from conversations import services
from conversations.digest import digest_key, digest_send_weekly, digest_week
from conversations.models import DigestSubscription, EmailMode, Participant
from outbox.models import OutboxEmail

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _digest_email(cast, conversation):
    services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="Share the stalls",
        details="",
        deadline=timezone.now() + timezone.timedelta(days=2),
    )
    services.digest_subscription_set(user=cast.pro_eu_organiser, weekly=True)
    now = timezone.now()
    assert digest_send_weekly(now=now) >= 1
    return OutboxEmail.objects.get(key=digest_key(cast.pro_eu_organiser.pk, digest_week(now)))


def _header_path(email) -> str:
    url = email.headers["List-Unsubscribe"].strip("<>")
    assert url.startswith(("https://", "http://"))
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_header_names_the_one_click_endpoint_and_the_body_the_page(cast, conversation):
    email = _digest_email(cast, conversation)
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _header_path(email)
    assert path.startswith("/conversations/unsubscribe/") and path.endswith("/one-click/")
    body_link = path.removesuffix("one-click/")
    assert body_link in email.body_text and path not in email.body_text


def test_a_mail_provider_post_without_csrf_token_unsubscribes(cast, conversation):
    email = _digest_email(cast, conversation)
    provider = Client(enforce_csrf_checks=True)  # no cookie, no token: a provider's server
    response = provider.post(_header_path(email), ONE_CLICK)
    assert response.status_code == 200
    assert not DigestSubscription.objects.get(user=cast.pro_eu_organiser).weekly
    assert provider.post(_header_path(email), ONE_CLICK).status_code == 200, "twice is fine"


def test_the_conversation_emails_one_click_turns_off_that_conversation_only(cast, conversation):
    links = services.unsubscribe_links(
        user_id=cast.pro_eu_organiser.pk, what=f"conversation:{conversation.pk}"
    )
    path = "/" + links["one_click_url"].split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(path, ONE_CLICK)
    assert response.status_code == 200
    seat = Participant.objects.get(conversation=conversation, user=cast.pro_eu_organiser)
    assert seat.email_mode == EmailMode.NONE
    staffer = Participant.objects.get(conversation=conversation, user=cast.staffer)
    assert staffer.email_mode != EmailMode.NONE


def test_forged_or_malformed_one_click_requests_change_nothing(client, cast, conversation):
    email = _digest_email(cast, conversation)
    path = _header_path(email)
    token = path.split("/")[3]
    forged_token = services.unsubscribe_token(user_id=cast.pro_eu_organiser.pk, what="digest")
    forged = path.replace(token, forged_token[:-3] + "abc")
    provider = Client(enforce_csrf_checks=True)
    assert provider.post(forged, ONE_CLICK).status_code == 404
    assert provider.get(path).status_code == 405, "a GET (a scanner opening links) does nothing"
    assert provider.post(path, {}).status_code == 400, "only the RFC 8058 body"
    assert provider.post(path, {"List-Unsubscribe": "Other"}).status_code == 400
    assert DigestSubscription.objects.get(user=cast.pro_eu_organiser).weekly
    # The page the body links to keeps its CSRF-protected form.
    page = path.removesuffix("one-click/")
    assert provider.post(page, {}).status_code == 403
    assert DigestSubscription.objects.get(user=cast.pro_eu_organiser).weekly


def test_the_one_click_endpoint_signs_nobody_in_and_shows_nothing(cast, conversation):
    email = _digest_email(cast, conversation)
    response = Client(enforce_csrf_checks=True).post(_header_path(email), ONE_CLICK)
    assert response.content == b"Unsubscribed."
    assert "sessionid" not in response.cookies

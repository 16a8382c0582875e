"""Celery tasks of the mailing lists: thin, safe to run twice or at once."""

from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=2, max_retries=8)
def mailing_send_task(mailing_id: int) -> int:
    from mailinglists.services import mailing_send

    return mailing_send(mailing_id=mailing_id)


@shared_task(acks_late=True)
def mailings_send_queued_task() -> int:
    from mailinglists.services import mailings_send_queued

    return mailings_send_queued()

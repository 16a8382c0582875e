from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def primaries_roll_days() -> int:
    """How long the voter roll is kept after a result (for the privacy notice)."""
    return settings.PRIMARIES_ROLL_RETENTION_DAYS

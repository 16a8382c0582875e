from django import template

from petitions.signer_data_views import signer_data_url as _signer_data_url

register = template.Library()


@register.simple_tag
def signer_data_url(signature) -> str:
    """The signer's "your data" link, for the confirmation email."""
    return _signer_data_url(signature)

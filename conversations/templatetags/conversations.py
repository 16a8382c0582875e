"""Small pieces other apps' pages include: a seat's conversations and outcomes, an
agreement's negotiation thread. Each costs a fixed number of queries."""

from django import template

from conversations.models import Conversation, Proposal, ScopeKind
from conversations.permissions import user_can_open_conversations

register = template.Library()


@register.inclusion_tag("conversations/_seat_conversations.html", takes_context=True)
def seat_conversations(context, seat):
    user = context["request"].user
    visible = Conversation.objects.visible_to(user).about_seat(seat)
    return {
        "seat": seat,
        "signed_in": user.is_authenticated,
        "can_open": user_can_open_conversations(user),
        "conversations": list(visible.recent_first()[:10]),
        "outcomes": list(
            Proposal.objects.filter(conversation__in=visible, outcome_at__isnull=False)
            .select_related("conversation")
            .order_by("-outcome_at", "-pk")[:10]
        ),
    }


@register.inclusion_tag("conversations/_agreement_thread.html", takes_context=True)
def agreement_thread(context, agreement):
    user = context["request"].user
    return {
        "agreement": agreement,
        "threads": list(
            Conversation.objects.visible_to(user)
            .filter(agreement=agreement, scope_kind=ScopeKind.AGREEMENT)
            .recent_first()[:5]
        ),
        "signed_in": user.is_authenticated,
    }

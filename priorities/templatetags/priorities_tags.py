"""Small includes for other apps' pages: the statements a group endorsed, those covering a
seat. One query each, so those pages keep their fixed query counts."""

from django import template

from priorities.models import Statement

register = template.Library()


@register.inclusion_tag("priorities/_statements_box.html")
def group_statements(group, is_organiser=False):
    return {
        "statements": list(Statement.objects.endorsed_by_group(group).order_by("-created_at")[:5]),
        "heading": "Shared priorities endorsed",
        "group": group,
        "is_organiser": is_organiser,
    }


@register.inclusion_tag("priorities/_statements_box.html")
def seat_statements(seat):
    return {
        "statements": list(Statement.objects.covering_seat(seat).order_by("-created_at")[:5]),
        "heading": "Shared priorities here",
    }

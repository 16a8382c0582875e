from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ colours|get_item:party }}: a dict lookup by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def percent(value, digits=1):
    """0.4567 -> '45.7%'."""
    try:
        return f"{100 * float(value):.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "–"

"""Time zones as people read them."""

from django import template

from patients.timeutils import zone_name as readable_zone_name

register = template.Library()


@register.filter
def zone_name(zone) -> str:
    """ "Europe/Paris" -> "Paris (Europe)" (patients.timeutils.zone_name)."""
    return readable_zone_name(zone)

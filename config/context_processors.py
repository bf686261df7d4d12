"""What every page may show about the service itself."""

from django.conf import settings


def operator(request) -> dict:
    """The team's contact address and where the data is hosted (settings; no query)."""
    return {
        "contact_email": settings.CONTACT_EMAIL,
        "hosting_statement": settings.HOSTING_STATEMENT,
    }

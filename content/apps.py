from django.apps import AppConfig


class ContentConfig(AppConfig):
    """Articles, glossary and search: filled by the educational-content issue."""

    name = "content"

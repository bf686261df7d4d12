from django.core.management.base import BaseCommand, CommandError

from content.loading import ContentError, load_content


class Command(BaseCommand):
    help = "Load content/articles/{fr,en}/*.md and content/glossary.toml (idempotent)."

    def handle(self, *args, **options) -> None:
        try:
            report = load_content()
        except ContentError as error:
            raise CommandError(f"Content not loaded, nothing was written:\n{error}") from error
        self.stdout.write(f"Content: {report.summary()}.")

from django.core.management.base import BaseCommand, CommandError

from therapies.loading import CatalogueError
from therapies.report import catalogue_groups, render_markdown, render_text


class Command(BaseCommand):
    help = (
        "Print every catalogue fact with its value, source, section and whether it is verified. "
        "--markdown prints docs/medical-sources.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--markdown", action="store_true", help="print the Markdown document")

    def handle(self, *args, markdown: bool, **options) -> None:
        try:
            groups = catalogue_groups()
        except CatalogueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(render_markdown(groups) if markdown else render_text(groups), ending="")

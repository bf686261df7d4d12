from django.core.management.base import BaseCommand, CommandError

from therapies.loading import CatalogueError, load_catalogue


class Command(BaseCommand):
    help = "Load therapies/catalogue/*.toml into the database (idempotent)."

    def handle(self, *args, **options) -> None:
        try:
            report = load_catalogue()
        except CatalogueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Catalogue: {report.summary()}.")

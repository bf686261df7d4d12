from datetime import date

from django.core.management.base import BaseCommand, CommandError

from therapies import dosing
from therapies.models import Drug


class Command(BaseCommand):
    help = "Print the planned dose dates of a drug's regimen, one ISO date per line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--drug", required=True, help="INN, e.g. guselkumab")
        parser.add_argument("--start", required=True, help="date of the first injection")
        parser.add_argument("--count", type=int, default=10, help="number of doses (default 10)")
        parser.add_argument("--regimen", help="regimen name (default: the drug's default)")

    def handle(self, *args, drug: str, start: str, count: int, regimen: str | None, **options):
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise CommandError(f"--start must be a date as YYYY-MM-DD, not {start!r}") from None
        if count < 1:
            raise CommandError("--count must be at least 1")
        found = Drug.objects.filter(inn=drug.strip().lower()).first()
        if found is None:
            known = ", ".join(Drug.objects.values_list("inn", flat=True)) or "none loaded"
            raise CommandError(f"Unknown drug {drug!r} (known: {known}); run load_catalogue?")
        regimens = found.regimens.all()
        chosen = regimens.filter(name=regimen).first() if regimen else regimens.get(is_default=True)
        if chosen is None:
            names = ", ".join(r.name for r in regimens)
            raise CommandError(f"Unknown regimen {regimen!r} for {found.inn} (known: {names})")
        for dose in dosing.plan(chosen.spec(), first, count=count):
            self.stdout.write(dose.date.isoformat())

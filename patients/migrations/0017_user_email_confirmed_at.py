"""Sign-up confirmed by e-mail (issue 17, item 3): an account made by the sign-up form waits,
inactive, until the link sent to its address is used. Every account that exists before this
migration was made the old way: it counts as confirmed when it joined."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def confirmed_when_joined(apps, schema_editor):
    User = apps.get_model("patients", "User")
    User.objects.update(email_confirmed_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0016_reminders_discreet_by_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_confirmed_at",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
        migrations.RunPython(confirmed_when_joined, migrations.RunPython.noop),
    ]

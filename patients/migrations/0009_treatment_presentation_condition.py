"""Issue 16, item 4: a treatment records the device the patient uses (and, item 3, the condition
it is for). Existing treatments get their drug's presentation when the drug has a single one; for
the others the dashboard asks the patient which device they use."""

from django.db import migrations, models


def default_to_the_single_presentation(apps, schema_editor):
    Drug = apps.get_model("therapies", "Drug")
    Treatment = apps.get_model("patients", "Treatment")
    for drug in Drug.objects.all():
        rows = drug.presentation_rows or []
        if len(rows) == 1:
            Treatment.objects.filter(drug=drug, presentation_key="").update(
                presentation_key=rows[0]["key"]
            )


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0008_visit_summary'),
        ('therapies', '0003_sourced_facts_presentations_indications'),
    ]

    operations = [
        migrations.AddField(
            model_name='treatment',
            name='condition',
            field=models.CharField(blank=True, choices=[('plaque_psoriasis_adult', 'plaque psoriasis (adults)'), ('psoriatic_arthritis', 'psoriatic arthritis'), ('axial_spondyloarthritis', 'axial spondyloarthritis'), ('hidradenitis_suppurativa', 'hidradenitis suppurativa'), ('rheumatoid_arthritis', 'rheumatoid arthritis'), ('crohns_disease', "Crohn's disease"), ('ulcerative_colitis', 'ulcerative colitis'), ('paediatric_psoriasis', 'plaque psoriasis in children'), ('other', 'other conditions named in the label')], max_length=30, verbose_name='condition treated'),
        ),
        migrations.AddField(
            model_name='treatment',
            name='presentation_key',
            field=models.CharField(blank=True, max_length=40, verbose_name='device used'),
        ),
        migrations.RunPython(default_to_the_single_presentation, migrations.RunPython.noop),
    ]

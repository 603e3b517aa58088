"""Copy the expected close date of registrations submitted through the portal onto the
registration itself (``sales.DealRegistration.expected_close_on``), where the API and imports
write it too."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def copy_expected_close(apps, schema_editor):
    DealRegistration = apps.get_model("sales", "DealRegistration")
    Submission = apps.get_model("portal", "DealRegistrationSubmission")
    DealRegistration.objects.filter(
        expected_close_on__isnull=True, portal_submission__isnull=False
    ).update(
        expected_close_on=Subquery(
            Submission.objects.filter(registration=OuterRef("pk")).values("expected_close")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_deal_registration_submission"),
        ("sales", "0004_deal_registration_expected_close"),
    ]

    operations = [migrations.RunPython(copy_expected_close, migrations.RunPython.noop)]

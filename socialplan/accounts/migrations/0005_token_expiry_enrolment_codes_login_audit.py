"""API tokens expire; one-time codes to set up an authenticator app; log-ins audited.

A token made before this migration expires API_TOKEN_DAYS after it was
made (at once, if that is already past).
"""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    lifetime = datetime.timedelta(days=settings.API_TOKEN_DAYS)
    for token in ApiToken.objects.filter(expires_at__isnull=True):
        token.expires_at = token.created_at + lifetime
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_apitoken"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "viewed"),
                    ("list", "listed"),
                    ("search", "searched"),
                    ("create", "created"),
                    ("change", "changed"),
                    ("delete", "deleted"),
                    ("export", "exported"),
                    ("import", "imported"),
                    ("refer", "referred"),
                    ("login_failed", "failed login"),
                    ("login", "logged in (password)"),
                    ("login_2fa", "logged in (two-factor code)"),
                    ("logout", "logged out"),
                    ("enrol", "set up an authenticator app"),
                    ("enrol_code", "issued an enrolment code"),
                    ("token_issue", "issued an API token"),
                    ("token_revoke", "revoked an API token"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.CreateModel(
            name="EnrolmentCode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code_hash", models.CharField(editable=False, max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="issued")),
                ("expires_at", models.DateTimeField(verbose_name="expires")),
                (
                    "failures",
                    models.PositiveSmallIntegerField(default=0, verbose_name="wrong tries"),
                ),
                ("used_at", models.DateTimeField(blank=True, null=True, verbose_name="used")),
                (
                    "issued_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="enrolment_code",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "enrolment code", "verbose_name_plural": "enrolment codes"},
        ),
    ]

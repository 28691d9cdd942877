"""Background work of the list import: reading the file, registering the list, expiry.

A web request only makes the cheap checks (size, rows and cells counted in
the raw XML, the encoding) and queues the work here; `manage.py db_worker`
runs it (started by `make run` beside gunicorn). Each task finds its batch in
the state it expects or does nothing, so a task that runs late (the list was
abandoned or expired meanwhile) or twice changes nothing. A failure is kept
on the batch, in the user's language, for the page to say why.
"""

import datetime
import logging

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks_db import DatabaseBackend

from socialplan.accounts.audit import record
from socialplan.territory.models import AdministrativeUnit
from socialplan.uploads import UploadError, read_table

from . import imports
from .models import ImportBatch

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
# Emptied batches (registered, expired, failed) are kept this long, so that an
# old link still says what happened; then they go too.
FORGET_AFTER = imports.EXPIRE_AFTER * 30
# States in which a batch holds no personal data any more.
EMPTIED = (Status.DONE, Status.EXPIRED, Status.FAILED)


@task()
def read_list(batch_id: int, language: str) -> None:
    batch = ImportBatch.objects.filter(pk=batch_id, status=Status.READING).first()
    if batch is None:
        return
    with translation.override(language):
        try:
            upload = ContentFile(bytes(batch.upload), name=batch.file_name)
            imports.fill_batch(batch, read_table(upload, batch.encoding))
            batch.status = Status.READY
        except (UploadError, ValueError) as exc:
            batch.status, batch.error = Status.FAILED, str(exc)
        except Exception:  # a file that breaks the reader: the page says it failed, not "reading"
            logger.exception("reading import batch %s failed", batch_id)
            batch.status, batch.error = Status.FAILED, ""
    # Only if still being read: a list abandoned or expired meanwhile is not brought back.
    ImportBatch.objects.filter(pk=batch_id, status=Status.READING).update(
        status=batch.status,
        error=batch.error,
        headers=batch.headers,
        rows=batch.rows if batch.status == Status.READY else [],
        mapping=batch.mapping,
        upload=None,
    )


@task()
def register_list(batch_id: int, unit_ids: list[int], language: str) -> None:
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update()
            .filter(pk=batch_id, status=Status.CONFIRMING)
            .first()
        )
        if batch is None:
            return
        units = AdministrativeUnit.objects.filter(pk__in=unit_ids)
        with translation.override(language):
            try:
                imports.confirm(batch=batch, units=units)  # its own transaction: all or nothing
                return
            except ValueError as exc:
                error = str(exc)
            except Exception:
                logger.exception("registering import batch %s failed", batch_id)
                error = _("The list could not be registered; nothing was written. Try again.")
    # Nothing was written (the import's transaction rolled back): back to the review.
    ImportBatch.objects.filter(pk=batch_id, status=Status.CONFIRMING).update(
        status=Status.READY, error=error
    )


def expire_batch(batch_id: int) -> bool:
    """Erase one unconfirmed list's rows, keeping the empty batch; audited.

    False if there was nothing to erase (registered, failed or expired already)."""
    with transaction.atomic():
        # A list being registered right now finishes first; then there is nothing to expire.
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status in EMPTIED:
            return False
        imports.erase(batch, Status.EXPIRED)
        record(
            None,
            "delete",
            batch,
            summary=f"register import expired unconfirmed after {imports.EXPIRE_AFTER}",
        )
    return True


def expire_imports(now=None) -> int:
    """Expire every list not confirmed within EXPIRE_AFTER; forget long-emptied batches
    and finished background tasks."""
    now = now or timezone.now()
    stale = ImportBatch.objects.filter(created_at__lt=now - imports.EXPIRE_AFTER).exclude(
        status__in=EMPTIED
    )
    expired = sum(expire_batch(pk) for pk in stale.values_list("pk", flat=True))
    ImportBatch.objects.filter(created_at__lt=now - FORGET_AFTER, status__in=EMPTIED).delete()
    # Finished tasks keep their arguments (a plan workbook being read, for one): a day is enough.
    if isinstance(expire_abandoned_imports.get_backend(), DatabaseBackend):
        call_command("prune_db_task_results", min_age_days=1, verbosity=0)
    return expired


@task()
def expire_abandoned_imports() -> int:
    return expire_imports()


def queue_expiry(batch: ImportBatch) -> None:
    """Have the worker erase this list when it expires, if nobody confirms or abandons it.

    Backends that cannot defer a task (the immediate one of the tests) skip
    this; `manage.py expire_imports` does the same sweep from cron or by hand."""
    if expire_abandoned_imports.get_backend().supports_defer:
        run_after = batch.created_at + imports.EXPIRE_AFTER + datetime.timedelta(minutes=1)
        expire_abandoned_imports.using(run_after=run_after).enqueue()

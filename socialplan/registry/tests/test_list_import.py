"""Importing a list of (synthetic) people: mapping, review, duplicates, all or nothing."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from socialplan.accounts.models import AuditEvent
from socialplan.registry.models import ImportBatch, Person

HEADERS = ["Nr. personal", "Emri", "Mbiemri", "Gjinia", "Datëlindja", "Njësia", "Familja", "Lidhja"]


def _csv(rows, encoding="utf-8-sig"):
    text = "\n".join(";".join(r) for r in [HEADERS, *rows])
    return SimpleUploadedFile("lista.csv", text.encode(encoding), "text/csv")


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in [HEADERS, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("lista.xlsx", buffer.getvalue())


ROWS = [
    ["K80101001A", "Lirie", "Shembulli", "F", "01/01/1980", "Sukth", "F1", "kryefamiljar"],
    ["", "Toni", "Shembulli", "M", "05/06/2012", "Sukth", "F1", "fëmijë"],
    ["", "Lirie", "Shembulli", "F", "01/01/1980", "Sukthi", "F2", "kryefamiljar"],  # same as row 2
]


def _through_review(client, upload, encoding="utf-8"):
    response = client.post(reverse("registry:import"), {"file": upload, "encoding": encoding})
    assert response.status_code == 302, response.content.decode()[:400]
    batch = ImportBatch.objects.latest("pk")
    client.post(
        reverse("registry:import_mapping", args=[batch.pk]),
        {**{f"col_{code}": str(i) for code, i in batch.mapping.items()},
         "category": "families_in_need", "category_source": "vendim NE, maj 2026"},
    )  # fmt: skip
    return batch, client.get(reverse("registry:import_review", args=[batch.pk]))


def test_columns_are_guessed_from_albanian_headers(login, sukth_admin):
    client = login(sukth_admin)
    client.post(reverse("registry:import"), {"file": _csv(ROWS)})
    batch = ImportBatch.objects.get()
    assert batch.mapping == {
        "national_id": 0, "first_name": 1, "last_name": 2, "sex": 3, "date_of_birth": 4,
        "unit": 5, "household": 6, "relationship": 7,
    }  # fmt: skip


def test_review_then_confirm_registers_new_people_and_skips_duplicates(
    login, sukth_admin, family_member
):
    client = login(sukth_admin)
    rows = ROWS + [
        ["I88412000X", "Mira", "Provë", "F", "12/04/1988", "Sukth", "", ""]
    ]  # registered
    batch, page = _through_review(client, _xlsx(rows))
    review = page.context["rows"]
    assert [r.importable for r in review] == [True, True, False, False]
    assert review[2].duplicate_in_file == 2 and review[3].duplicate_of == [family_member]
    assert Person.objects.filter(last_name="Shembulli").count() == 0  # nothing written yet
    client.post(reverse("registry:import_confirm", args=[batch.pk]))
    imported = Person.objects.filter(last_name="Shembulli").order_by("date_of_birth")
    assert [p.first_name for p in imported] == ["Lirie", "Toni"]
    assert imported[0].household == imported[1].household and imported[0].relationship == "head"
    assert imported[0].categories.get().category.code == "families_in_need"
    batch.refresh_from_db()  # the uploaded rows are gone; the empty batch says what happened
    assert (batch.status, batch.rows, batch.headers, batch.created_count) == ("done", [], [], 2)
    event = AuditEvent.objects.get(action="import", summary__startswith="register import:")
    assert "2 people" in event.summary and "Lirie" not in event.summary


def test_an_error_blocks_the_whole_import(login, sukth_admin):
    client = login(sukth_admin)
    bad = ROWS[:2] + [["", "Ana", "Gabim", "X", "31/02/1990", "Tirana", "", ""]]
    # An older program's file, its encoding named by the user (never guessed).
    batch, page = _through_review(client, _csv(bad, encoding="cp1250"), encoding="cp1250")
    errors = page.context["rows"][2].errors
    assert len(errors) == 3  # sex, date, unit: each named
    client.post(reverse("registry:import_confirm", args=[batch.pk]))
    assert not Person.objects.filter(last_name__in=["Shembulli", "Gabim"]).exists()


def test_a_unit_administrator_imports_only_into_their_unit(login, ishem_admin):
    client = login(ishem_admin)
    batch, page = _through_review(client, _csv(ROWS[:1]))
    assert (
        "is not one of your units" in " ".join(page.context["rows"][0].errors)
        or page.context["rows"][0].errors
    )


def test_files_that_are_not_lists_are_refused(login, sukth_admin):
    client = login(sukth_admin)
    fake = SimpleUploadedFile("lista.xlsx", b"PK\x03\x04 not really a zip")
    response = client.post(reverse("registry:import"), {"file": fake})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    empty = SimpleUploadedFile("lista.csv", ";".join(HEADERS).encode())
    response = client.post(reverse("registry:import"), {"file": empty})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert not ImportBatch.objects.exists()


def test_only_the_uploader_sees_the_batch(login, sukth_admin, njvrn_worker):
    client = login(sukth_admin)
    client.post(reverse("registry:import"), {"file": _csv(ROWS)})
    batch = ImportBatch.objects.get()
    other = login(njvrn_worker)
    assert other.get(reverse("registry:import_review", args=[batch.pk])).status_code == 404


def test_a_list_row_matching_someone_out_of_scope_names_no_one(login, ishem_admin, family_member):
    """No existence oracle through the import either: Gent (Ishëm) sees neither Mira's
    record nor why the row matched; the NJVRN is asked to check, the row is skipped."""
    from socialplan.registry.models import DuplicateCheck

    client = login(ishem_admin)
    row = ["I88412000X", "Ana", "Tjetër", "F", "03/02/1990", "Ishëm", "", ""]
    _batch, page = _through_review(client, _xlsx([row]))
    text = page.content.decode()
    assert f"/registry/people/{family_member.pk}/" not in text and "Mira" not in text
    assert page.context["rows"][0].hidden_duplicate and not page.context["rows"][0].importable
    check = DuplicateCheck.objects.get()
    assert (check.person, check.asked_by) == (family_member, ishem_admin)

"""Bulk import and export of the register (registry/bulk.py, import_people, export_people).

Every person here is made up.
"""

import csv
import datetime
import resource

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from socialplan.accounts.models import AuditEvent
from socialplan.registry.bulk import ExportFailed, ImportRefused, export_people, import_people
from socialplan.registry.models import Household, Person, PersonCategory
from socialplan.uploads import UploadError

HEADER = ["Emri", "Mbiemri", "Atësia", "Gjinia", "Datëlindja", "Nr personal", "Njësia",
          "Adresa", "Telefon", "Familja", "Lidhja"]  # fmt: skip


def synthetic_rows(count: int, start: int = 0):
    """Made-up people in Durrës's units, two to a household."""
    units = ["Sukth", "Rrashbull", "Durrës 1", "Manëz"]
    for n in range(start, start + count):
        yield [
            f"Emër{n}", f"Mbiemër{n}", "Agim", "F" if n % 2 else "M",
            f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1950 + n % 60}", f"T{n:08d}X",
            units[(n // 2) % len(units)], f"Rruga e Testit {n // 2}", "", f"F{n // 2}",
            "kryefamiljar" if n % 2 == 0 else "bashkëshorte",
        ]  # fmt: skip


def write_csv(path, rows, header=HEADER, encoding="utf-8-sig", delimiter=";"):
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def english():
    """Messages are read in English here (Albanian is the default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def worker(durres_plan, django_user_model):
    return django_user_model.objects.create_user("ilir.njvrn")


def test_csv_import_writes_people_households_and_category(tmp_path, durres_plan, worker):
    path = write_csv(tmp_path / "ndihma.csv", synthetic_rows(40))
    result = import_people(
        path=path,
        municipality=durres_plan.municipality,
        user=worker,
        category_code="families_in_need",
        source="Lista e ndihmës ekonomike (test)",
    )
    assert (result.rows, result.created, result.households) == (40, 40, 20)
    people = Person.objects.filter(created_by=worker)
    assert people.count() == 40
    person = people.get(national_id="T00000003X")
    assert (person.first_name, person.sex, person.date_of_birth) == (
        "Emër3",
        "F",
        datetime.date(1953, 4, 4),
    )
    assert person.unit.name == "Rrashbull" and person.search_name == "emer3 mbiemer3"
    assert person.relationship == "spouse" and person.household.members.count() == 2
    assert Household.objects.filter(members__created_by=worker).distinct().count() == 20
    category = PersonCategory.objects.get(person=person)
    assert category.category.code == "families_in_need"
    assert category.source == "Lista e ndihmës ekonomike (test)"
    event = AuditEvent.objects.get(user=worker, action="import")
    assert "40 people" in event.summary and "Emër" not in event.summary
    # New rows after the import get new ids (the sequence moved past the block).
    later = Person.objects.create(
        municipality=durres_plan.municipality, unit=person.unit, first_name="A",
        last_name="B", sex="F", date_of_birth=datetime.date(2000, 1, 1),
    )  # fmt: skip
    assert later.pk > people.order_by("-pk").first().pk


def test_duplicates_in_the_register_and_in_the_file_are_skipped(tmp_path, durres_plan, worker):
    import_people(
        path=write_csv(tmp_path / "a.csv", synthetic_rows(10)),
        municipality=durres_plan.municipality,
        user=worker,
    )
    rows = list(synthetic_rows(15))  # ten already in the register
    rows.append(list(rows[-1]))  # the same person twice in the file
    same_name = list(rows[-2])
    same_name[5] = ""  # no ID, same name and date of birth as a registered person
    rows.append(same_name)
    result = import_people(
        path=write_csv(tmp_path / "b.csv", rows), municipality=durres_plan.municipality, user=worker
    )
    assert result.created == 5
    assert result.duplicates_in_register == 10
    assert result.duplicates_in_file == 2
    assert Person.objects.filter(created_by=worker).count() == 15


def test_one_bad_row_refuses_the_whole_file(tmp_path, durres_plan, worker):
    rows = list(synthetic_rows(30))
    rows[7][4] = "31/02/1990"
    rows[20][6] = "Tirana e Re"
    rows[25][3] = "X"
    with pytest.raises(ImportRefused) as refused:
        import_people(
            path=write_csv(tmp_path / "bad.csv", rows),
            municipality=durres_plan.municipality,
            user=worker,
        )
    assert refused.value.total == 3
    assert [row for row, _message in refused.value.errors] == [9, 22, 27]
    assert "Tirana e Re" in refused.value.errors[1][1]
    assert not Person.objects.filter(created_by=worker).exists()
    assert not AuditEvent.objects.filter(user=worker, action="import").exists()


def test_xlsx_import_reads_dates_and_numbers(tmp_path, durres_plan, worker):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for n, row in enumerate(synthetic_rows(12)):
        row[4] = datetime.datetime(1960 + n, 5, 6)  # a date cell, as Excel keeps it
        sheet.append(row)
    book.save(tmp_path / "lista.xlsx")
    result = import_people(
        path=tmp_path / "lista.xlsx", municipality=durres_plan.municipality, user=worker
    )
    assert result.created == 12
    assert Person.objects.get(national_id="T00000002X").date_of_birth == datetime.date(1962, 5, 6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00", "not a CSV"),
        (b"Emri;Mbiemri\nAna;Kola\n", "No column for"),
        (b"PK\x03\x04 not really a zip", "not an Excel workbook"),
    ],
)
def test_unreadable_files_say_why(tmp_path, durres_plan, worker, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(UploadError, match=message):
        import_people(path=path, municipality=durres_plan.municipality, user=worker)
    assert not Person.objects.filter(created_by=worker).exists()


def test_windows_1250_csv_with_commas(tmp_path, durres_plan, worker):
    path = write_csv(
        tmp_path / "w.csv", synthetic_rows(3), encoding="cp1250", delimiter=","
    )  # the letters ë and ç exist in cp1250
    # Not guessed: read as UTF-8 it is refused, naming the first line that is not.
    with pytest.raises(UploadError, match="Line 1 .*UTF-8"):  # the header's ë
        import_people(path=path, municipality=durres_plan.municipality, user=worker)
    assert not Person.objects.filter(created_by=worker).exists()
    result = import_people(
        path=path, municipality=durres_plan.municipality, user=worker, encoding="cp1250"
    )
    assert result.created == 3
    assert Person.objects.filter(last_name="Mbiemër1").exists()


def test_command_refuses_clearly(tmp_path, durres_plan, worker):
    rows = list(synthetic_rows(3))
    rows[1][4] = "nesër"
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(CommandError, match="rows have errors; nothing was imported"):
        call_command("import_people", str(path), municipality="durres", user=worker.username)
    with pytest.raises(CommandError, match="No municipality"):
        call_command("import_people", str(path), municipality="nowhere", user=worker.username)


def test_export_streams_every_person_and_neutralises_formulas(tmp_path, durres_plan, worker):
    rows = list(synthetic_rows(25))
    rows[0][7] = '=HYPERLINK("http://example.invalid")'
    rows[1][0] = "+Ana"
    import_people(
        path=write_csv(tmp_path / "in.csv", rows),
        municipality=durres_plan.municipality,
        user=worker,
    )
    destination = tmp_path / "regjistri.csv"
    count = export_people(
        municipality=durres_plan.municipality, destination=destination, user=worker
    )
    assert count == Person.objects.filter(municipality=durres_plan.municipality).count() == 25
    with open(destination, encoding="utf-8-sig", newline="") as exported:
        table = list(csv.reader(exported))
    assert table[0][:4] == ["nr_regjistri", "njesia", "emri", "mbiemri"]
    assert len(table) == 26
    by_id = {row[7]: row for row in table[1:]}
    assert by_id["T00000000X"][8] == '\'=HYPERLINK("http://example.invalid")'
    assert by_id["T00000001X"][2] == "'+Ana"
    assert by_id["T00000002X"][6] == "1952-03-03"
    assert list(tmp_path.glob("*.part")) == []
    assert AuditEvent.objects.filter(user=worker, action="export").exists()


def test_export_past_a_size_limit_leaves_no_file(tmp_path, durres_plan, worker):
    import_people(
        path=write_csv(tmp_path / "in.csv", synthetic_rows(400)),
        municipality=durres_plan.municipality,
        user=worker,
    )
    destination = tmp_path / "regjistri.csv"
    destination.write_text("the previous export\n")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG.
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(ExportFailed, match="no file was written"):
            export_people(
                municipality=durres_plan.municipality, destination=destination, user=worker
            )
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert destination.read_text() == "the previous export\n"
    assert list(tmp_path.glob("*.part")) == []
    assert not AuditEvent.objects.filter(user=worker, action="export").exists()


def test_export_reads_back_as_the_same_people(tmp_path, durres_plan, worker):
    """The CSV is what the import reads back: every exported person is recognised."""
    import_people(
        path=write_csv(tmp_path / "in.csv", synthetic_rows(8)),
        municipality=durres_plan.municipality,
        user=worker,
    )
    destination = tmp_path / "out.csv"
    export_people(municipality=durres_plan.municipality, destination=destination, user=worker)
    again = import_people(path=destination, municipality=durres_plan.municipality, user=worker)
    assert again.rows == 8 and again.duplicates_in_register == 8 and again.created == 0

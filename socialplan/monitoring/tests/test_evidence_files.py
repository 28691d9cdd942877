"""Evidence files are opened with their real parsers: documents and photos are kept, polyglots
(a PDF or PNG carrying a web page), damaged files and scripts are refused."""

import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from socialplan.monitoring.models import Evidence
from socialplan.monitoring.tests.test_progress import _report, _user
from socialplan.plan.models import Activity

PAGE = (
    b"<html><body><script>fetch('/registry/').then(r=>r.text()).then(alert)</script></body></html>"
)


def pdf(javascript: str = "", content: bytes = b"") -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    if content:
        from pypdf.generic import NameObject, StreamObject

        stream = StreamObject()
        stream.set_data(content)
        page[NameObject("/Contents")] = writer._add_object(stream)
    if javascript:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(javascript),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(kind: str, **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format=kind, **save)
    return out.getvalue()


def docx(extra: dict | None = None) -> bytes:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    if not extra:
        return out.getvalue()
    import zipfile

    with zipfile.ZipFile(out, "a") as archive:
        for name, data in extra.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def provider(durres_plan, django_user_model):
    """Drita, staff of Kryqi i Kuq, who reports an activity's progress with evidence."""
    from socialplan.directory.models import Organisation

    organisation = Organisation.objects.get(code="kryqi-i-kuq")
    return _user(django_user_model, "drita.deshmi", "provider", organisation=organisation)


@pytest.fixture
def report(durres_plan, provider, settings, tmp_path):
    """A draft progress report of activity A 1.2.2, evidence stored in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    activity = Activity.objects.get(
        code="A 1.2.2",
        measure__objective__code="1.1",
        measure__objective__priority__plan=durres_plan,
    )
    return _report(
        durres_plan, activity, provider, organisation=provider.memberships.get().organisation
    )


def _upload(client, report, name, data):
    response = client.post(
        reverse("monitoring:evidence_upload", args=[report.pk]),
        {"file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_real_documents_and_photos_are_kept_photos_without_their_metadata(
    report,
    provider,
    client,
    verified_login,
):
    verified_login(client, provider)
    exif = Image.Exif()
    exif[0x010F] = "Telefoni i Drites"  # the camera's maker: metadata a photo should not carry
    files = {
        "raport.pdf": pdf(),
        "foto.png": image("PNG"),
        "foto.jpg": image("JPEG", exif=exif.tobytes()),
        "lista.docx": docx(),
    }
    for name, data in files.items():
        assert _upload(client, report, name, data) == [], name
    kept = {e.name: e.file.read() for e in Evidence.objects.filter(report=report)}
    assert sorted(kept) == sorted(files)
    assert kept["raport.pdf"] == files["raport.pdf"] and kept["lista.docx"] == files["lista.docx"]
    photo = Image.open(io.BytesIO(kept["foto.jpg"]))
    assert photo.size == (40, 30) and not photo.getexif()  # re-encoded: the pixels only


def test_bytes_inside_a_pdf_stream_are_not_taken_for_a_page(
    report, provider, client, verified_login
):
    # Compressed streams are random bytes: "/JS " or "<svg " in them is chance, not a script.
    verified_login(client, provider)
    assert (
        _upload(client, report, "raport.pdf", pdf(content=b"q Q\n" * 600 + b"% <svg /JS x\n")) == []
    )
    assert Evidence.objects.filter(report=report).count() == 1


@pytest.mark.parametrize(
    "name, data",
    [
        # A real PDF with a web page after its end, and one with a page inside it.
        ("raport.pdf", pdf() + PAGE),
        ("raport.pdf", b"%PDF-1.4\n%" + PAGE + b"\n" + pdf()[9:]),
        # Eight right bytes and nothing else: not a PDF at all.
        ("raport.pdf", b"%PDF-1.4 test"),
        # A PDF that runs a script when opened.
        ("raport.pdf", pdf(javascript="app.alert('x')")),
        # A real PNG with a web page after its IEND chunk; a PNG signature and then a page.
        ("foto.png", image("PNG") + PAGE),
        ("foto.png", b"\x89PNG\r\n\x1a\n" + PAGE),
        # A real JPEG with a page appended (browsers sniff it as HTML in some contexts).
        ("foto.jpg", image("JPEG") + PAGE),
        # A JPEG named .png: the content is not what the name says.
        ("foto.png", image("JPEG").replace(b"\xff\xd8\xff", b"\x89PNG", 1)),
        # A Word document carrying macros.
        ("lista.docx", docx({"word/vbaProject.bin": b"\x00" * 64})),
    ],
)
def test_polyglots_damaged_files_and_scripts_are_refused(
    report,
    provider,
    client,
    verified_login,
    name,
    data,
):
    verified_login(client, provider)
    shown = _upload(client, report, name, data)
    assert shown and not Evidence.objects.filter(report=report).exists()


def test_downloads_are_attachments_never_sniffed(report, provider, client, verified_login):
    verified_login(client, provider)
    _upload(client, report, "raport.pdf", pdf())
    evidence = Evidence.objects.get(report=report)
    response = client.get(reverse("monitoring:evidence", args=[evidence.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]

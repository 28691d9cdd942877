from django.db import migrations


def add_categories(apps, schema_editor):
    from socialplan.directory.categories import ensure_categories

    ensure_categories(apps.get_model("directory", "Category"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]

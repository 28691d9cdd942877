"""Reading reviewed data files (YAML) with messages a person can act on.

Both the plan and the territory loaders validate their file against a
pydantic schema; a refusal names the file, the entry and the field, and the
loaders only write after the whole file validated.
"""

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError
from pydantic import BaseModel, ConfigDict, ValidationError


class DataFileError(Exception):
    """The file cannot be loaded; nothing was written."""


class Strict(BaseModel):
    # Unknown keys are typos until proven otherwise.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(f"{path}:{where}: not valid YAML: {problem}") from exc


def _entry_label(data: Any, loc: tuple) -> str:
    """The path to the failing entry, with the nearest entry's code or name."""
    parts, label, node = [], "", data
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(f".{key}" if parts else str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            for name in ("code", "number", "name"):
                if node.get(name) not in (None, ""):
                    label = f"{name} {node[name]!r}"
                    break
    path = "".join(parts)
    return f"{path} ({label})" if label else path


def validate(path: Path, data: Any, schema: type[BaseModel]) -> BaseModel:
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: expected a mapping at the top of the file")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:20]:
            loc = tuple(err["loc"])
            field = loc[-1] if loc and isinstance(loc[-1], str) else None
            entry = _entry_label(data, loc[:-1] if field else loc)
            where = f"entry {entry}, field '{field}'" if field else f"entry {entry}"
            problems.append(f"{path}: {where}: {err['msg']}")
        more = len(exc.errors()) - 20
        if more > 0:
            problems.append(f"... and {more} more problems")
        raise DataFileError("\n".join(problems)) from exc


def _row_values(obj) -> tuple:
    fields = [f.attname for f in type(obj)._meta.concrete_fields if not f.primary_key]
    # Compared with ==, not as text: Decimal("5.00") from the database equals Decimal("5").
    return tuple(getattr(obj, name) for name in fields)


def replace_rows_if_changed(manager, new_rows: list, model) -> None:
    """Replace a set of rows that have no identity beyond their place in a file.

    Only when the file says something new: loading the same file twice
    writes nothing.
    """
    if [_row_values(o) for o in manager.all()] == [_row_values(o) for o in new_rows]:
        return
    manager.all().delete()
    model.objects.bulk_create(new_rows)


class LoadCommand(BaseCommand):
    """A management command that loads one data file, all or nothing.

    Subclasses set `load` (a function of the path) and `describe` (what to
    print about its result).
    """

    def add_arguments(self, parser):
        parser.add_argument("path")

    def load(self, path):
        raise NotImplementedError

    def describe(self, result) -> str:
        raise NotImplementedError

    def handle(self, path, **options):
        try:
            result = self.load(path)
        except DataFileError as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from exc
        self.stdout.write(self.describe(result))

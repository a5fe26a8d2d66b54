"""Course files: load a `courses/` tree, validate it and report `file:line: message`.

This module knows nothing of Flask or the database, so the checker can run anywhere.
A module is a folder::

    courses/<module-id>/module.yaml          metadata, lesson order, quiz rules
    courses/<module-id>/lessons/<lesson-id>.<lang>.md
    courses/<module-id>/questions.yaml       question bank
    courses/<module-id>/figures/<name>[.<lang>].svg   drawings the lessons show (lms.content.figures)

See courses/README.md for the full description.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from lms.content import figures as figure_files
from lms.content import kinds
from lms.content.letters import letter_reference
from lms.i18n import FALLBACK, pick  # noqa: F401  (pick is used by the callers of this module too)

LANGUAGES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
REQUIRED_LANGUAGES = ("en", "ru")
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "courses" / "schema"
_LESSON_FILE = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]{1,62})\.(?P<lang>[a-z]{2})\.md$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is ~20x faster


@dataclass(frozen=True)
class Problem:
    """One error found in a course file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class LessonSpec:
    id: str
    position: int
    title: dict[str, str]
    body: dict[str, str]  # Markdown source per language, title line removed
    body_line: dict[str, int] = field(default_factory=dict)  # the file's line on which each body starts


@dataclass
class ModuleSpec:
    id: str
    data: dict[str, Any]
    lessons: list[LessonSpec] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)  # file name in figures/ -> the SVG


class CourseError(Exception):
    """Raised when a course tree has problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in course files")
        self.problems = problems




@functools.cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    registry = Registry().with_resources(
        (n, Resource.from_contents(_schema(n))) for n in ("module.schema.json", "questions.schema.json")
    )
    return Draft202012Validator(_schema(name), registry=registry)


class _Yaml:
    """A YAML document with the line of every node, so errors can name lines."""

    def __init__(self, path: Path, rel: str):
        self.rel = rel
        source = path.read_text(encoding="utf-8")
        self.source_lines = source.splitlines()
        loader = _Loader(source)
        try:  # parse once: the node tree gives line numbers, the data is built from it
            self.node = loader.get_single_node()
            self.data = loader.construct_document(self.node) if self.node is not None else None
        finally:
            loader.dispose()

    def text_line(self, route: list[Any], offset: int) -> int:
        """The line of character `offset` in the text reached by `route` (a folded or plain scalar
        keeps its words, only its line breaks change); the field's line when it cannot tell."""
        node = self.node
        for step in route:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
            else:
                node = None
            if node is None:
                return self.line(route)
        if not isinstance(node, yaml.ScalarNode):
            return self.line(route)
        words = len(node.value[:offset].split())
        block = node.style in ("|", ">")
        first = node.start_mark.line + (1 if block else 0)
        for number in range(first, min(node.end_mark.line + 1, len(self.source_lines))):
            text = self.source_lines[number]
            if number == node.start_mark.line:
                text = text[node.start_mark.column:]
            words -= len(text.split())
            if words < 0:
                return number + 1
        return self.line(route)

    def line(self, route: list[Any]) -> int:
        """The line of the field reached by `route` (keys and indexes), or of the deepest part found."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else 1
        for step in route:
            if isinstance(node, yaml.MappingNode):
                found = next((v for k, v in node.value if k.value == step), None)
                if found is None:
                    break
                key_line = next(k for k, v in node.value if k.value == step).start_mark.line
                node, line = found, key_line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                break
        return line


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> _Yaml | None:
    if not path.is_file():
        problems.append(Problem(rel, 1, "file is missing"))
        return None
    try:
        return _Yaml(path, rel)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Problem(rel, (mark.line + 1) if mark else 1, f"invalid YAML: {exc.problem}"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 1, f"cannot read: {exc}"))
    return None


def _schema_problems(doc: _Yaml, schema: str) -> list[Problem]:
    if not isinstance(doc.data, dict):
        return [Problem(doc.rel, 1, "expected a mapping at the top level")]
    out = []
    for err in sorted(_validator(schema).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(Problem(doc.rel, doc.line(list(err.absolute_path)), f"{where}: {err.message}"))
    return out


def _load_lessons(folder: Path, rel: str, mod: dict[str, Any], doc: _Yaml, problems: list[Problem]) -> list[LessonSpec]:
    lessons_dir = folder / "lessons"
    files: dict[tuple[str, str], Path] = {}
    if lessons_dir.is_dir():
        for path in sorted(lessons_dir.iterdir()):
            m = _LESSON_FILE.match(path.name)
            frel = f"{rel}/lessons/{path.name}"
            if not m or m["lang"] not in LANGUAGES:
                problems.append(
                    Problem(
                        frel,
                        1,
                        "unexpected file; lesson files are named <lesson-id>.<lang>.md with lang in "
                        + ", ".join(LANGUAGES),
                    )
                )
                continue
            if m["id"] not in mod["lessons"]:
                problems.append(Problem(frel, 1, f"lesson '{m['id']}' is not listed under 'lessons' in module.yaml"))
            files[(m["id"], m["lang"])] = path
    seen: set[str] = set()
    lessons = []
    for pos, lesson_id in enumerate(mod["lessons"]):
        if lesson_id in seen:
            problems.append(Problem(doc.rel, doc.line(["lessons", pos]), f"lesson '{lesson_id}' is listed twice"))
            continue
        seen.add(lesson_id)
        title: dict[str, str] = {}
        body: dict[str, str] = {}
        body_line: dict[str, int] = {}
        for lang in LANGUAGES:
            path = files.get((lesson_id, lang))
            frel = f"{rel}/lessons/{lesson_id}.{lang}.md"
            if path is None:
                if lang in REQUIRED_LANGUAGES:
                    problems.append(
                        Problem(
                            doc.rel, doc.line(["lessons", pos]), f"lesson '{lesson_id}' has no {lang} file ({frel})"
                        )
                    )
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(frel, 1, "not valid UTF-8"))
                continue
            first, _, rest = text.lstrip("\ufeff").partition("\n")
            if not first.startswith("# ") or not first[2:].strip():
                problems.append(Problem(frel, 1, "a lesson must start with its title as '# Title'"))
                continue
            if not rest.strip():
                problems.append(Problem(frel, 2, "the lesson has a title but no text"))
                continue
            title[lang], body[lang] = first[2:].strip(), rest.strip() + "\n"
            body_line[lang] = 2 + rest[:len(rest) - len(rest.lstrip())].count("\n")
        lessons.append(LessonSpec(lesson_id, pos, title, body, body_line))
    return lessons


def _load_figures(folder: Path, rel: str, problems: list[Problem]) -> dict[str, bytes]:
    """The module's figures/<name>[.<lang>].svg files, each checked (lms.content.figures)."""
    found: dict[str, bytes] = {}
    figures_dir = folder / "figures"
    if not figures_dir.is_dir():
        return found
    for path in sorted(figures_dir.iterdir()):
        frel = f"{rel}/figures/{path.name}"
        match = figure_files.FIGURE_FILE.match(path.name)
        if not match or (match["lang"] and match["lang"] not in LANGUAGES):
            problems.append(Problem(frel, 1, "unexpected file; figures are SVG files named <name>.svg, or "
                                    "<name>.<lang>.svg with lang in " + ", ".join(LANGUAGES)))
            continue
        data = path.read_bytes()
        found_problems = figure_files.svg_problems(data)
        problems += [Problem(frel, line, message) for line, message in found_problems]
        if not found_problems:
            found[path.name] = data
    return found


def _check_figure_references(spec: ModuleSpec, rel: str, names: set[str], problems: list[Problem]) -> None:
    """Every image in a lesson is a figure of this module that exists, alone in its paragraph, with alt text."""
    for lesson in spec.lessons:
        for lang, body in lesson.body.items():
            frel = f"{rel}/lessons/{lesson.id}.{lang}.md"
            for ref in figure_files.references(body):
                line = lesson.body_line.get(lang, 2) + ref.line - 1
                if not ref.src.startswith("figures/"):
                    problems.append(Problem(frel, line, f"image '{ref.src}': a lesson shows only figures of its "
                                            "module, written as figures/<name>.svg"))
                elif figure_files.resolve(ref.src, lang, names) is None:
                    problems.append(Problem(frel, line, f"figure '{ref.src}' not found: no file "
                                            f"{rel}/{ref.src.removesuffix('.svg')}.<lang>.svg or {rel}/{ref.src} "
                                            "(or the file has problems of its own)"))
                if not ref.alone:
                    problems.append(Problem(frel, line, f"figure '{ref.src}' must stand alone in its paragraph "
                                            "(a blank line before and after it)"))
                if not ref.alt:
                    problems.append(Problem(frel, line, f"figure '{ref.src}' has no alt text: write what it shows "
                                            "between the brackets, ![...](...)"))


def _check_question(q: dict[str, Any], idx: int, doc: _Yaml, lesson_ids: set[str]) -> list[Problem]:
    def at(route: list[Any], message: str) -> Problem:
        """A problem at the line of this question's field reached by `route`."""
        return Problem(doc.rel, doc.line(["questions", idx, *route]), message)

    out: list[Problem] = []
    if q.get("topic") and q["topic"] not in lesson_ids:
        out.append(at(["topic"], f"topic '{q['topic']}' is not a lesson of this module"))
    for lang, text in q["explanation"].items():  # in the order of the file
        found = letter_reference(text)
        if found:
            out.append(Problem(doc.rel, doc.text_line(["questions", idx, "explanation", lang], found.start()),
                               f"explanation ({lang}) names an option by a letter ('{found.group(0)}'): options are "
                               "shuffled and shown without letters, so name the option by its text"))
    kind = kinds.REGISTRY.get(q["type"])
    if kind is None:  # the schema lists the type names; this catches a schema ahead of the code
        out.append(
            at(["type"], f"unknown question type '{q['type']}'; known types: {', '.join(sorted(kinds.REGISTRY))}")
        )
    else:
        out += kind.validate(q, at)
    return out


def _display(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_module(folder: Path) -> tuple[ModuleSpec | None, list[Problem]]:
    """Load and validate one module folder."""
    rel = _display(folder)
    problems: list[Problem] = []
    doc = _read_yaml(folder / "module.yaml", f"{rel}/module.yaml", problems)
    if doc is None:
        return None, problems
    schema_problems = _schema_problems(doc, "module.schema.json")
    if schema_problems:
        return None, schema_problems
    mod = doc.data
    if mod["id"] != folder.name:
        problems.append(
            Problem(doc.rel, doc.line(["id"]), f"id '{mod['id']}' must match the folder name '{folder.name}'")
        )
    spec = ModuleSpec(mod["id"], mod)
    spec.lessons = _load_lessons(folder, rel, mod, doc, problems)
    spec.figures = _load_figures(folder, rel, problems)
    _check_figure_references(spec, rel, set(spec.figures), problems)
    qdoc = _read_yaml(folder / "questions.yaml", f"{rel}/questions.yaml", problems)
    if qdoc is not None:
        qproblems = _schema_problems(qdoc, "questions.schema.json")
        problems += qproblems
        if not qproblems:
            questions = qdoc.data["questions"]
            seen: set[str] = set()
            for idx, q in enumerate(questions):
                if q["id"] in seen:
                    problems.append(
                        Problem(qdoc.rel, qdoc.line(["questions", idx, "id"]), f"question id '{q['id']}' is used twice")
                    )
                seen.add(q["id"])
                problems += _check_question(q, idx, qdoc, set(mod["lessons"]))
            if mod["questions_per_attempt"] > len(questions):
                problems.append(
                    Problem(
                        doc.rel,
                        doc.line(["questions_per_attempt"]),
                        f"questions_per_attempt is {mod['questions_per_attempt']} "
                        f"but the bank has {len(questions)} questions",
                    )
                )
            spec.questions = questions
    return spec, problems


def _is_module_folder(path: Path) -> bool:
    """A folder with module.yaml, lessons/ or questions.yaml; others (schema/, glossary/) are not modules."""
    return any((path / name).exists() for name in ("module.yaml", "lessons", "questions.yaml"))


def load_tree(root: Path) -> tuple[list[ModuleSpec], list[Problem]]:
    """Load every module below `root` (a courses folder, or one module folder)."""
    root = root.resolve()
    if not root.is_dir():
        return [], [Problem(_display(root), 1, "not a folder")]
    folders = [root] if (root / "module.yaml").is_file() else sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and _is_module_folder(p)
    )
    modules, problems = [], []
    for folder in folders:
        spec, found = load_module(folder)
        problems += found
        if spec is not None:
            modules.append(spec)
    if not folders:
        problems.append(Problem(_display(root), 1, "no module folders found"))
    return modules, problems

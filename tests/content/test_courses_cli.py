"""`flask courses check` and `flask courses import` on good and broken files."""
import shutil

import sqlalchemy as sa

from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.extensions import db
from tests.conftest import FIXTURES


def _copy(tmp_path):
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", target)
    return target


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                     for m in (Module, Lesson, Question, QuestionVersion))


def test_check_accepts_the_fixture(app, database):
    result = app.test_cli_runner().invoke(args=["courses", "check", str(FIXTURES / "courses")])
    assert result.exit_code == 0, result.output
    assert "1 module(s), 2 lesson(s), 4 question(s)" in result.output


def test_check_names_file_and_line_of_a_yaml_error(app, database, tmp_path):
    root = _copy(tmp_path)
    qfile = root / "sample-module" / "questions.yaml"
    lines = qfile.read_text().splitlines()
    lines[2] = lines[2].replace("type: single", "type: [single")  # line 3 now breaks the YAML
    qfile.write_text("\n".join(lines) + "\n")
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0
    assert "sample-module/questions.yaml:" in result.output
    line = int(result.output.split("questions.yaml:")[1].split(":")[0])
    assert 3 <= line <= 6


def test_check_names_the_line_of_a_schema_error(app, database, tmp_path):
    root = _copy(tmp_path)
    mfile = root / "sample-module" / "module.yaml"
    mfile.write_text(mfile.read_text().replace("pass_mark: 75", "pass_mark: 175"))
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0
    assert "sample-module/module.yaml:12: pass_mark" in result.output


def test_check_finds_semantic_errors(app, database, tmp_path):
    root = _copy(tmp_path)
    qfile = root / "sample-module" / "questions.yaml"
    text = qfile.read_text().replace("answer: 25", "answer: 26").replace("topic: first", "topic: nowhere", 1)
    qfile.write_text(text)
    (root / "sample-module" / "lessons" / "second.ru.md").unlink()
    out = app.test_cli_runner().invoke(args=["courses", "check", str(root)]).output
    assert "the correct answers do not satisfy this equation" in out
    assert "topic 'nowhere' is not a lesson of this module" in out
    assert "lesson 'second' has no ru file" in out


def test_import_is_all_or_nothing(app, database, tmp_path):
    runner = app.test_cli_runner()
    root = _copy(tmp_path)
    assert runner.invoke(args=["courses", "import", str(root)]).exit_code == 0
    before = _counts(app)
    # a second module that is fine, and a broken edit of the first: nothing may change
    shutil.copytree(root / "sample-module", root / "another-module")
    mfile = root / "another-module" / "module.yaml"
    mfile.write_text(mfile.read_text().replace("id: sample-module", "id: another-module"))
    qfile = root / "sample-module" / "questions.yaml"
    qfile.write_text(qfile.read_text().replace("correct: true", "correct: maybe", 1))
    result = runner.invoke(args=["courses", "import", str(root)])
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert _counts(app) == before


def test_import_twice_changes_nothing(app, database):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "import", str(FIXTURES / "courses")])
    assert "1 created" in first.output
    before = _counts(app)
    second = runner.invoke(args=["courses", "import", str(FIXTURES / "courses")])
    assert "0 created, 0 updated, 1 unchanged, 0 new question version(s)" in second.output
    assert _counts(app) == before


def test_check_skips_folders_that_are_not_modules(app, database, tmp_path):
    root = _copy(tmp_path)
    (root / "glossary").mkdir()
    (root / "glossary" / "kk.yaml").write_text("language: kk\nterms: []\n")
    (root / "broken-module" / "lessons").mkdir(parents=True)  # a module folder that lost its module.yaml
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0
    assert "broken-module/module.yaml:1: file is missing" in result.output
    assert "glossary" not in result.output


def test_check_rejects_an_explanation_that_names_an_option_by_letter(app, database, tmp_path):
    root = _copy(tmp_path)
    qfile = root / "sample-module" / "questions.yaml"
    text = qfile.read_text()
    before = ('explanation: {en: "Two members, ideally from different parties.", '
              'ru: "Два члена, лучше от разных партий."}')
    text = text.replace(before, 'explanation:\n      en: >-\n        Two members, ideally from different parties,\n'
                        '        so options a and c are wrong.\n      ru: "Два члена, лучше от разных партий."')
    text = text.replace("explanation: {en: Seal and count., ru: Опечатать и пересчитать.}",
                        "explanation: {en: Seal and count., ru: Опечатать и пересчитать; вариант d неверен.}")
    qfile.write_text(text)
    lines = text.splitlines()
    folded = next(n for n, line in enumerate(lines, start=1) if "so options a and c are wrong" in line)
    inline = next(n for n, line in enumerate(lines, start=1) if "вариант d неверен" in line)
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code != 0
    assert (f"sample-module/questions.yaml:{folded}: explanation (en) names an option by a letter ('options a')"
            in result.output)
    assert f"sample-module/questions.yaml:{inline}: explanation (ru) names an option by a letter" in result.output
    assert "2 problem(s) found" in result.output


def test_the_course_files_name_options_by_their_text(app):
    from lms.content.format import load_tree
    from tests.conftest import FIXTURES
    courses = FIXTURES.parents[1] / "courses"
    _modules, problems = load_tree(courses)
    assert [str(p) for p in problems if "by a letter" in str(p)] == []

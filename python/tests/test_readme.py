"""Every ```python block of python/README.md runs. Blocks marked `# needs-database` run against
the local IAM-auth PostgreSQL (scripts/pg-iam.sh), blocks marked `# needs-mysql` against the
local IAM-auth MariaDB (scripts/mysql-iam.sh); the others run offline."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_readme_block(code, monkeypatch, request):
    if "# needs-database" in code:
        pg = request.getfixturevalue("pg")
        monkeypatch.setenv("DBTOKEN_TEST_SECRET", pg.secret)
    if "# needs-mysql" in code:
        my = request.getfixturevalue("my")
        monkeypatch.setenv("DBTOKEN_TEST_SECRET", my.secret)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})

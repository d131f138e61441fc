"""Shared fixtures. The tests run against the installed wheel, never the source tree."""

import json
import os
from pathlib import Path

import pytest

import dbtoken

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent.parent / "tests" / "vectors"
PACKAGE_SOURCE = HERE.parent / "dbtoken"

# Example secret from the AWS documentation (also the vectors' secret).
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = dbtoken.Credentials("AKIDEXAMPLE", SECRET)
T0 = 1_705_322_096  # 2024-01-15T12:34:56Z


def load(name):
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)["cases"]


def pytest_sessionstart(session):
    installed = Path(dbtoken.__file__).resolve().parent
    if installed == PACKAGE_SOURCE.resolve():
        raise pytest.UsageError(
            "dbtoken is imported from the source tree; install the wheel into a venv and run "
            "pytest from there (scripts/stages/python.sh does)"
        )


@pytest.fixture
def no_aws_env(monkeypatch):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


class PG:
    """The local IAM-auth PostgreSQL started by scripts/pg-iam.sh (see its README section)."""

    def __init__(self):
        missing = [k for k in ("PGHOST", "PGPORT", "DBTOKEN_PG_SECRET_FILE", "DBTOKEN_PG_REGION")
                   if not os.environ.get(k)]
        if missing:
            raise RuntimeError(
                "the driver tests need the local IAM-auth PostgreSQL: run them through "
                "scripts/stages/python.sh, or export the lines `scripts/pg-iam.sh start` prints "
                f"(missing: {', '.join(missing)})"
            )
        self.host = os.environ["PGHOST"]
        self.port = int(os.environ["PGPORT"])
        self.region = os.environ["DBTOKEN_PG_REGION"]
        self.token_host = os.environ.get("DBTOKEN_PG_HOST", self.host)
        with open(os.environ["DBTOKEN_PG_SECRET_FILE"], encoding="utf-8") as f:
            self.secret = f.read().strip()
        self.creds = dbtoken.Credentials("AKIDEXAMPLE", self.secret)
        self.user = "iam_user"


@pytest.fixture(scope="session")
def pg():
    return PG()


class MY:
    """The local IAM-auth MariaDB started by scripts/mysql-iam.sh: mysql_clear_password, IAM
    users REQUIRE SSL, passwords checked by `dbtoken verify` through PAM."""

    def __init__(self):
        missing = [k for k in ("DBTOKEN_MYSQL_PORT", "DBTOKEN_MYSQL_CA", "DBTOKEN_MYSQL_SECRET_FILE",
                               "DBTOKEN_MYSQL_REGION", "DBTOKEN_MYSQL_DIR") if not os.environ.get(k)]
        if missing:
            raise RuntimeError(
                "the MySQL driver tests need the local IAM-auth MariaDB: run them through "
                "scripts/stages/python.sh, or export the lines `scripts/mysql-iam.sh start` "
                f"prints (missing: {', '.join(missing)})"
            )
        self.host = "127.0.0.1"
        self.port = int(os.environ["DBTOKEN_MYSQL_PORT"])
        self.ca = os.environ["DBTOKEN_MYSQL_CA"]
        self.region = os.environ["DBTOKEN_MYSQL_REGION"]
        self.token_host = os.environ.get("DBTOKEN_MYSQL_HOST", self.host)
        self.database = os.environ.get("DBTOKEN_MYSQL_DATABASE", "dbtoken")
        self.verify_log = Path(os.environ["DBTOKEN_MYSQL_DIR"]) / "log" / "verify.log"
        with open(os.environ["DBTOKEN_MYSQL_SECRET_FILE"], encoding="utf-8") as f:
            self.secret = f.read().strip()
        self.creds = dbtoken.Credentials("AKIDEXAMPLE", self.secret)
        self.user = "iam_user"

    def token(self, user=None, *, host=None, port=None, region=None, secret=None, **kwargs):
        """A token for this server, with any field changed (for the refusal cases)."""
        creds = self.creds if secret is None else dbtoken.Credentials("AKIDEXAMPLE", secret)
        return dbtoken.rds_token(host or self.token_host, port or self.port, user or self.user,
                                 region=region or self.region, credentials=creds, **kwargs)


@pytest.fixture(scope="session")
def my():
    return MY()


class CountingCredentials:
    """A credentials callable (called once per token, see dbtoken.rds_token) that counts."""

    def __init__(self, secret):
        self.calls = 0
        self.creds = dbtoken.Credentials("AKIDEXAMPLE", secret)

    def __call__(self):
        self.calls += 1
        return self.creds

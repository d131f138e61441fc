"""AWS IAM database authentication tokens without boto3 (see the package docstring)."""

from datetime import datetime
from typing import Any, Awaitable, Callable, Literal, Mapping, Optional, Union

from ._errors import TokenError as TokenError

__all__ = [
    "OUTAGE_FLOOR",
    "Credentials",
    "TokenCache",
    "TokenError",
    "TokenInfo",
    "dsql_token",
    "dsn",
    "elasticache_token",
    "error_codes",
    "generate_db_auth_token",
    "inspect",
    "memorydb_token",
    "rds_token",
    "url_encode",
    "verify",
]

__version__: str

#: Seconds a cached token must still be valid for to be served while the credentials source
#: fails (``TokenCache``).
OUTAGE_FLOOR: int

#: An aware ``datetime`` or Unix seconds.
_Time = Union[datetime, int, float]

class Credentials:
    """AWS credentials; ``repr()`` never shows the secret or the session token."""

    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> Optional[str]: ...
    @property
    def expiration(self) -> Optional[_Time]: ...
    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: Optional[str] = None,
        expiration: Optional[_Time] = None,
    ) -> None: ...
    @property
    def expires_at(self) -> Optional[int]:
        """``expiration`` as Unix seconds."""
    @classmethod
    def from_env(cls) -> "Credentials":
        """Reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN."""
    def __eq__(self, other: object) -> bool: ...
    __hash__: None  # type: ignore[assignment]

#: What ``credentials=`` accepts: None (environment), Credentials, a botocore/boto3 credentials
#: object (duck-typed), an STS-style or snake_case dict, or a zero-argument callable (sync, or
#: async with ``TokenCache.token_async``) returning one of those.
_CredentialsSource = Union[
    None,
    Credentials,
    Any,
    Mapping[str, Any],
    Callable[[], Any],
    Callable[[], Awaitable[Any]],
]

def rds_token(
    hostname: str,
    port: int,
    username: str,
    *,
    region: Optional[str] = None,
    credentials: _CredentialsSource = None,
    expires_in: int = 900,
    signing_time: Optional[_Time] = None,
) -> str:
    """The IAM auth token for an RDS / Aurora / RDS Proxy endpoint."""

def dsql_token(
    hostname: str,
    *,
    admin: bool = False,
    region: Optional[str] = None,
    credentials: _CredentialsSource = None,
    expires_in: int = 900,
    signing_time: Optional[_Time] = None,
) -> str:
    """The IAM auth token for an Aurora DSQL cluster (DbConnect / DbConnectAdmin)."""

def elasticache_token(
    cache_name: str,
    user_id: str,
    *,
    serverless: bool = False,
    region: Optional[str] = None,
    credentials: _CredentialsSource = None,
    expires_in: int = 900,
    signing_time: Optional[_Time] = None,
) -> str:
    """The IAM auth token for an ElastiCache user."""

def memorydb_token(
    cluster_name: str,
    user: str,
    *,
    region: Optional[str] = None,
    credentials: _CredentialsSource = None,
    expires_in: int = 900,
    signing_time: Optional[_Time] = None,
) -> str:
    """The IAM auth token for a MemoryDB user."""

def generate_db_auth_token(
    DBHostname: str,
    Port: int,
    DBUsername: str,
    Region: Optional[str] = None,
    *,
    credentials: _CredentialsSource = None,
) -> str:
    """boto3's ``generate_db_auth_token``, same argument names."""

class TokenInfo:
    """What a token says about itself (user and access key id percent-decoded)."""

    kind: Literal["rds", "dsql", "elasticache", "memorydb"]
    host: str
    port: Optional[int]
    action: str
    user: Optional[str]
    serverless: bool
    region: str
    service: str
    access_key_id: str
    signing_time: int
    expires_in: int
    expires_at: int
    has_session_token: bool
    signature: str
    def __init__(self, *fields: Any) -> None: ...
    def seconds_left(self, now: Optional[_Time] = None) -> int:
        """Seconds of validity left at ``now`` (0 when expired or not yet valid)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def inspect(token: str) -> TokenInfo:
    """Parses a token (nothing verified)."""

def verify(token: str, secret_access_key: str, *, now: Optional[_Time] = None) -> TokenInfo:
    """Recomputes the signature and checks the validity window at ``now``."""

def url_encode(text: str) -> str:
    """RFC 3986 percent-encoding."""

def error_codes() -> list[str]:
    """Every ``TokenError.code``."""

def dsn(
    hostname: str,
    port: int,
    username: str,
    database: Optional[str] = None,
    *,
    scheme: str = "postgresql",
    token: Optional[str] = None,
    host: Optional[str] = None,
    query: Union[Mapping[str, object], str, None] = None,
    region: Optional[str] = None,
    credentials: _CredentialsSource = None,
    expires_in: int = 900,
    signing_time: Optional[_Time] = None,
) -> str:
    """A connection URL with the token percent-encoded as the password."""

class TokenCache:
    """A cached token for one target, refreshed ``refresh_margin`` seconds before expiry."""

    def __init__(
        self,
        _kind: int,
        _host: str,
        _port: int,
        _user: str,
        _flag: bool,
        *,
        region: Optional[str] = None,
        credentials: _CredentialsSource = None,
        expires_in: int = 900,
        refresh_margin: int = 30,
    ) -> None: ...
    @classmethod
    def rds(
        cls,
        hostname: str,
        port: int,
        username: str,
        *,
        region: Optional[str] = None,
        credentials: _CredentialsSource = None,
        expires_in: int = 900,
        refresh_margin: int = 30,
    ) -> "TokenCache":
        """A cache of RDS tokens."""
    @classmethod
    def dsql(
        cls,
        hostname: str,
        *,
        admin: bool = False,
        region: Optional[str] = None,
        credentials: _CredentialsSource = None,
        expires_in: int = 900,
        refresh_margin: int = 30,
    ) -> "TokenCache":
        """A cache of DSQL tokens."""
    @classmethod
    def elasticache(
        cls,
        cache_name: str,
        user_id: str,
        *,
        serverless: bool = False,
        region: Optional[str] = None,
        credentials: _CredentialsSource = None,
        expires_in: int = 900,
        refresh_margin: int = 30,
    ) -> "TokenCache":
        """A cache of ElastiCache tokens."""
    @classmethod
    def memorydb(
        cls,
        cluster_name: str,
        user: str,
        *,
        region: Optional[str] = None,
        credentials: _CredentialsSource = None,
        expires_in: int = 900,
        refresh_margin: int = 30,
    ) -> "TokenCache":
        """A cache of MemoryDB tokens."""
    @property
    def refresh_margin(self) -> int:
        """Seconds before expiry at which a new token is signed."""
    def token(self, *, now: Optional[_Time] = None) -> str:
        """A token with more than ``refresh_margin`` seconds left."""
    async def token_async(self, *, now: Optional[_Time] = None) -> str:
        """``token()`` without blocking the event loop."""
    def clear(self) -> None:
        """Forgets the cached token."""

"""The Rust extension (pyo3, abi3). Private: use the `dbtoken` package's functions."""

from types import ModuleType
from typing import Any, Callable, Dict, Optional, Tuple, final

from ._errors import TokenError as TokenError

__version__: str
__all__ = ["Cache", "TokenError", "__version__", "_setup", "error_codes", "error_message",
           "Native", "generate_db_auth_token", "inspect", "native", "rds", "token", "url_encode",
           "verify"]

_InfoTuple = Tuple[str, str, Optional[int], str, Optional[str], bool, str, str, str, int, int,
                   int, bool, str]

def token(
    kind: int,
    host: object,
    port: object,
    user: object,
    flag: object,
    access_key_id: object,
    secret_access_key: object,
    session_token: object,
    credentials_expire_at: object,
    region: object,
    expires_in: object,
    signing_time: object,
) -> str:
    """Signs one token."""

def rds(
    hostname: object,
    port: object,
    username: object,
    region: object,
    credentials: object,
    expires_in: object,
    signing_time: object,
) -> str:
    """The body of `dbtoken.rds_token` (positional arguments)."""

def generate_db_auth_token(
    DBHostname: object,  # noqa: N803
    Port: object,  # noqa: N803
    DBUsername: object,  # noqa: N803
    Region: object = None,  # noqa: N803
    *,
    credentials: object = None,
) -> str:
    """`dbtoken.generate_db_auth_token`."""

def _setup(
    credentials_cls: type,
    resolve: Callable[[Any], Tuple[Any, Any, Any, Any]],
    env: Callable[[], Tuple[Any, Any, Any, Any]],
    unix: Callable[[Any, str], Optional[int]],
    env_data: Optional[Dict[bytes, bytes]],
    time_module: ModuleType,
) -> None:
    """Registers the pure-Python pieces the fast paths call back into."""

@final
class Native:
    """A `dbtoken.Credentials`' values, converted once."""

def native(
    access_key_id: object,
    secret_access_key: object,
    session_token: object,
    expires_at: object,
) -> Optional[Native]:
    """The converted values of a `dbtoken.Credentials` (None when one does not convert)."""

def inspect(token: object) -> _InfoTuple:
    """Parses a token into the fields of `dbtoken.TokenInfo`."""

def verify(token: object, secret_access_key: object, now: object) -> _InfoTuple:
    """Verifies a token's signature and validity window at `now`."""

def url_encode(text_obj: object) -> str:
    """RFC 3986 percent-encoding."""

def error_codes() -> list[str]:
    """Every TokenError code, in the core's order."""

def error_message(code: object) -> Optional[str]:
    """The core's message for an error code."""

@final
class Cache:
    """`dbtoken::TokenCache` behind a mutex."""

    def __new__(cls, refresh_margin: object) -> "Cache": ...
    def get(
        self,
        kind: int,
        host: object,
        port: object,
        user: object,
        flag: object,
        access_key_id: object,
        secret_access_key: object,
        session_token: object,
        credentials_expire_at: object,
        region: object,
        expires_in: object,
        now: object,
    ) -> str:
        """The cached token, or a new one signed at `now`."""
    def outage(
        self,
        kind: int,
        host: object,
        port: object,
        user: object,
        flag: object,
        region: object,
        expires_in: object,
        now: object,
    ) -> Optional[str]:
        """The cached token for the same target while valid for OUTAGE_FLOOR more seconds."""
    OUTAGE_FLOOR: int
    def clear(self) -> None:
        """Forgets the cached token."""
    @property
    def refresh_margin(self) -> int:
        """Seconds before expiry at which a new token is signed."""

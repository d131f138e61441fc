"""The one exception type of dbtoken (imported by the Rust extension at load time)."""

__all__ = ["TokenError"]


class TokenError(ValueError):
    """A token could not be built, parsed or verified.

    ``code`` is the core's stable, language-independent identifier (``"invalid_region"``,
    ``"region_mismatch"``, ``"credentials_expired"``, ``"credentials_unavailable"``, …;
    :func:`dbtoken.error_codes` lists them all). The message never contains an input value or a
    secret.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self):  # keep .code through pickling (multiprocessing, logging handlers)
        return (type(self), (str(self), self.code))

    def __repr__(self) -> str:
        return f"TokenError({str(self)!r}, code={self.code!r})"

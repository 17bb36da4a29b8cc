"""Credentials out of URLs: what is shown, logged or saved never carries a password.

A schema-registry URL may be given as ``https://user:password@host``. The
credentials belong in the client's auth settings and the OS keyring; the URL
that is echoed in messages or written to a settings file must not hold them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

#: What replaces a secret in anything shown.
MASK = "***"
#: Query parameters whose values are taken to be secrets (conservatively: "key" too).
_SECRET_QUERY = re.compile(r"pass|pwd|secret|token|key|auth|credential|sig", re.IGNORECASE)
#: A comma before another "scheme://": confluent-kafka takes comma-separated URL lists.
_URL_LIST_SEP = re.compile(r",(?=\s*[A-Za-z][A-Za-z0-9+.-]*://)")
#: URLs inside free text (error messages of HTTP libraries).
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()\[\]{}]+")


def _parts(url: str) -> tuple[str, str, str, str]:
    """(scheme with "://", userinfo, host[:port], path?query#fragment) of one URL.

    Hand-split rather than urlsplit, to err on the safe side: "user:pw@host" without a
    scheme is recognised, and the userinfo runs to the last "@" before any query, so a
    password with a raw "/" in it is still taken for one (a path with "@" in it is then
    over-redacted, never under-redacted).
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    else:
        scheme += sep
    head = min((i for i in (rest.find(c) for c in "?#") if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, head)
    userinfo, rest = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return scheme, userinfo, rest[:end], rest[end:]


def _redact_query(tail: str) -> str:
    path, qmark, query = tail.partition("?")
    if not qmark:
        return tail
    query, hash_, fragment = query.partition("#")
    items = []
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        secret = eq and value and _SECRET_QUERY.search(unquote(name))
        items.append(f"{name}={MASK}" if secret else item)
    return f"{path}?{'&'.join(items)}{hash_}{fragment}"


def _redact_one(url: str) -> str:
    scheme, userinfo, hostport, tail = _parts(url)
    at = f"{MASK}@" if userinfo else ""
    return f"{scheme}{at}{hostport}{_redact_query(tail)}"


def redact_url(url: str) -> str:
    """``url`` fit to show or log: userinfo becomes ``***@``, secret-looking query values
    ``***``. A comma-separated list (as confluent-kafka accepts) is redacted URL by URL."""
    return ",".join(_redact_one(part) for part in _URL_LIST_SEP.split(url))


def has_secret_query(url: str) -> bool:
    """True when a query parameter of ``url`` looks like it carries a secret."""
    tails = (_parts(part)[3] for part in _URL_LIST_SEP.split(url))
    return any(_redact_query(tail) != tail for tail in tails)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, user name, password), names percent-decoded.

    Of a comma-separated list, every URL loses its userinfo and the first
    credentials found are returned (confluent-kafka also uses the first URL's).
    """
    user = password = None
    stripped = []
    for part in _URL_LIST_SEP.split(url):
        scheme, userinfo, hostport, tail = _parts(part)
        if userinfo and user is None and password is None:
            name, colon, secret = userinfo.partition(":")
            user = unquote(name) or None
            password = unquote(secret) if colon else None
        stripped.append(f"{scheme}{hostport}{tail}")
    return ",".join(stripped), user, password


def secret_forms(*secrets: str | None) -> tuple[str, ...]:
    """The ways a secret may show up in a message: as is, percent-encoded, and the
    ``user:password`` pair as an HTTP Basic header carries it (base64)."""
    forms: list[str] = []
    for secret in secrets:
        if secret:
            forms += [secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()]
    # longest first, so a secret containing another is masked whole
    return tuple(sorted(set(forms), key=len, reverse=True))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (e.g. an exception's message) with every URL in it redacted and every
    literal occurrence of ``secrets`` masked."""
    text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text

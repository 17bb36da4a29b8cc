"""Credentials never in a URL that is shown, logged or saved."""

from __future__ import annotations

import base64

import pytest

from alertview.core.urls import (
    has_secret_query,
    redact_text,
    redact_url,
    secret_forms,
    split_credentials,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://alice:s3cret@reg.example.org:8081/", "https://***@reg.example.org:8081/"),
        ("https://APIKEY@reg.example.org", "https://***@reg.example.org"),
        ("alice:s3cret@reg:8081", "***@reg:8081"),  # no scheme
        ("http://alice:s3cret@[::1]:8081", "http://***@[::1]:8081"),
        ("https://alice:pa/ss@reg", "https://***@reg"),  # a raw "/" in the password
        ("https://reg/?password=s3cret&subject=x", "https://reg/?password=***&subject=x"),
        ("https://reg?api_key=abc#top", "https://reg?api_key=***#top"),
        ("https://a:b@r1, https://c:d@r2", "https://***@r1, https://***@r2"),
        ("https://reg.example.org:8081/apis", "https://reg.example.org:8081/apis"),
        ("", ""),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://alice:s3cret@reg:8081/x", ("https://reg:8081/x", "alice", "s3cret")),
        ("https://api%20key:p%40ss%3Aw@reg", ("https://reg", "api key", "p@ss:w")),
        ("https://p@ss@reg", ("https://reg", "p@ss", None)),  # the last "@" ends it
        ("https://alice@reg", ("https://reg", "alice", None)),
        ("https://:tok@reg", ("https://reg", None, "tok")),
        ("https://a:b@r1,https://c:d@r2", ("https://r1,https://r2", "a", "b")),
        ("https://reg:8081", ("https://reg:8081", None, None)),
        ("https://reg/?email=a@b.org", ("https://reg/?email=a@b.org", None, None)),
    ],
)
def test_split_credentials(url, expected):
    assert split_credentials(url) == expected


def test_has_secret_query():
    assert has_secret_query("https://reg/?token=abc")
    assert has_secret_query("https://r1,https://r2?Password=x")
    assert not has_secret_query("https://reg/?subject=ztf&token=")  # nothing to hide
    assert not has_secret_query("https://alice:s3cret@reg/")  # userinfo is split, not this


def test_redact_text_masks_urls_and_every_form_of_a_secret():
    header = base64.b64encode(b"alice:s3cr/t").decode()
    message = (
        "Invalid url https://alice:s3cr/t@reg:8081/x?token=abc, sent "
        f"'Authorization: Basic {header}' and s3cr%2Ft; password s3cr/t"
    )
    text = redact_text(message, secret_forms("s3cr/t", "alice:s3cr/t"))
    for leaked in ("s3cr/t", "s3cr%2Ft", header, "abc"):
        assert leaked not in text
    assert "https://***@reg:8081/x?token=***" in text
    assert text.startswith("Invalid url ")

"""Pseudonymisation and scrubbing, applied before anything is written.

Why salted hashes: the models need to know that two comments came from the
same person (random intercepts for creators and audience members) but never
who that person is.  A keyed hash keeps the grouping and, without the salt,
cannot be reversed by hashing a list of known user IDs.  The salt is supplied
by the researcher (or drawn at random per run) and never written out.

Text is scrubbed of contact details people post in depression communities
(phone numbers, WeChat/QQ IDs, e-mail addresses) before the study's cleaning:
cleaning would keep the digits of a phone number as a "numeral".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import pandas as pd

from helpers import config

#: Columns MediaCrawler exports that identify or locate a person; never kept.
IDENTIFYING_COLUMNS = (
    "nickname", "avatar", "ip_location", "note_url", "xsec_token", "video_url", "image_list",
    "pictures", "desc_user", "gender",
)

EMAIL_RE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE_RE = r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)"
WECHAT_RE = r"(?i)(?:微信号?|威信|薇信|v信|vx|wx|wechat)\s*[:：]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}"
QQ_RE = r"(?i)(?:qq|扣扣)\s*号?\s*[:：]?\s*\d{5,11}"


def choose_salt(explicit: str | None = None) -> str:
    """``explicit``, else ``$XHS_SALT`` (see :mod:`helpers.config`), else a new random salt."""
    return explicit or config.salt() or new_salt()


def new_salt() -> str:
    """A random salt for one run (hashes then differ between runs: nothing links them)."""
    return secrets.token_hex(16)


def salted_hash(ids: pd.Series, salt: str, length: int = 16) -> pd.Series:
    """HMAC-SHA256 of each ID under ``salt``, hex, truncated; missing IDs stay missing."""
    if not salt:
        raise ValueError("a non-empty salt is required to pseudonymise user IDs")
    key = salt.encode("utf-8")
    text = ids.astype("string")
    uniques = text.dropna().unique()
    mapping = {
        value: hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
        for value in uniques
    }
    return text.map(mapping).astype(object).where(text.notna(), None)


_CONTACTS = [re.compile(p) for p in (EMAIL_RE, WECHAT_RE, QQ_RE, PHONE_RE)]


def scrub_contacts(texts: pd.Series) -> pd.Series:
    """Remove e-mail addresses, WeChat/QQ IDs and phone numbers from free text (in that order)."""
    def scrub(text: str) -> str:
        for pattern in _CONTACTS:
            text = pattern.sub(" ", text)
        return text

    values = texts.astype(object).where(texts.notna(), "")
    return pd.Series([scrub(str(t)) for t in values], index=texts.index, dtype=object)

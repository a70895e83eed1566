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
    mapping = {value: hmac.digest(key, str(value).encode("utf-8"), "sha256").hex()[:length] for value in uniques}
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


def mediacrawler_user_hash(user_ids: pd.Series) -> pd.Series:
    """``user_id`` -> the ``creator_hash`` MediaCrawler itself writes since 2026-07.

    MediaCrawler's ``tools/user_hash.py`` (commit 9f4f8bf) stores
    ``sha256(str(user_id).strip())[:16]`` (hex) instead of the user ID.  Hashing
    old exports the same way *before* salting gives a person one key in crawls
    written before and after that change; empty IDs stay empty (unknown).
    """
    text = user_ids.astype(object).where(user_ids.notna(), "").astype(str).str.strip()
    uniques = {v: (hashlib.sha256(v.encode("utf-8")).hexdigest()[:16] if v else "") for v in text.unique()}
    return text.map(uniques).astype(object)


#: Domain tags so that a note, a comment and a user with the same raw ID get unrelated pseudonyms.
ID_DOMAINS = {"note": "note:", "comment": "comment:"}


def pseudonym_map(ids, salt: str, kind: str) -> dict[str, str]:
    """Raw ID -> pseudonym for each distinct ID (see :func:`pseudonymise_ids`)."""
    if not salt:
        raise ValueError("a non-empty salt is required to pseudonymise IDs")
    # keyed BLAKE2b is a MAC like HMAC-SHA256 and several times faster (a crawl has >100k comment IDs);
    # the key is the salt, at most 64 bytes (longer salts are first hashed down)
    key, prefix, letter = salt.encode("utf-8"), ID_DOMAINS[kind].encode("utf-8"), kind[0] + "_"
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    blake = hashlib.blake2b
    return {v: letter + blake(prefix + v.encode("utf-8"), key=key, digest_size=8).hexdigest()
            for v in pd.unique(pd.Series(ids, dtype=object).dropna().astype(str))}


def pseudonymise_ids(ids: pd.Series, salt: str, kind: str) -> pd.Series:
    """Salted hash of note or comment IDs (``kind`` ``"note"``/``"comment"``); missing stays missing.

    A note ID is the key of the note's public URL
    (``xiaohongshu.com/explore/<note_id>``), so a verbatim ID in a cleaned file
    re-identifies the post and its author.  The pseudonym is a keyed BLAKE2b MAC
    under the run's salt with a domain tag (a note and a comment with the same
    raw ID get unrelated pseudonyms), prefixed ``n_``/``c_`` so a reader can
    tell the two apart; the link back lives only in the private mapping file.
    """
    mapping = pseudonym_map(ids, salt, kind)
    text = ids.astype(object)
    present = text.notna()
    return text.where(~present, text[present].astype(str).map(mapping)).where(present, None)


#: A synthetic stand-in's truth tables and the ID columns they join on.
TRUTH_TABLES = {"truth_posts.parquet": {"note_id": "note"},
                "truth_comments.parquet": {"comment_id": "comment", "note_id": "note"}}


def pseudonymise_truth(raw_dir, salt: str, known: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Key a synthetic stand-in's planted truth by the run's pseudonymous IDs.

    The generator's truth (``truth_posts.parquet``, ``truth_comments.parquet``)
    is keyed by the export's IDs, the cleaned files by salted pseudonyms; the
    later chapters join the two.  The export's ID is kept once in
    ``export_<column>`` (these are invented IDs of invented notes, and the raw
    export beside them holds them anyway) and ``<column>`` is recomputed from it
    under ``salt``, so cleaning again with another salt re-keys the truth
    correctly.  ``known`` holds pseudonyms already computed under ``salt``
    (``{"note": {raw: pseudonym}, "comment": {…}}``).  Returns the names of the
    files rewritten.
    """
    from pathlib import Path

    raw = Path(raw_dir)
    done = []
    for name, columns in TRUTH_TABLES.items():
        path = raw / name
        if not path.exists():
            continue
        frame = pd.read_parquet(path)
        for column, kind in columns.items():
            if column not in frame.columns:
                continue
            original = f"export_{column}"
            if original not in frame.columns:
                frame[original] = frame[column].astype(str)
            ids = frame[original].astype(str)
            mapping = dict((known or {}).get(kind, {}))
            missing = ids[~ids.isin(mapping.keys())]
            mapping.update(pseudonym_map(missing, salt, kind))
            frame[column] = ids.map(mapping)
        frame.to_parquet(path, index=False)
        done.append(name)
    return done

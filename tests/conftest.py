"""Shared fixtures: paths to the project, the shared data mirror, and the R requirement.

``require_r_or_skip`` is the one way a test module asks for R: it skips where R is absent,
unless the environment says R must be present (``XHS_REQUIRE_R=1``, set by ``make test`` and
``.ci/run``), where a missing R stack is a failure with the install command in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Read once at import: tests that point XHS_DATA_MIRROR elsewhere must not move this fixture.
SHARED_DATA = config.data_mirror()


def require_r_or_skip(packages: tuple[str, ...] = ("lme4", "lmerTest")) -> None:
    """Skip the calling test module without R — or fail it when R is required here."""
    from helpers.engagement.r_bridge import r_available

    reason = r_available(packages)
    if reason is None:
        return
    if config.require_r():
        pytest.fail(f"XHS_REQUIRE_R is set but the R stack is unusable: {reason}", pytrace=False)
    pytest.skip(f"R stack unavailable: {reason}", allow_module_level=True)


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def shared_data() -> Path:
    if SHARED_DATA is None or not SHARED_DATA.exists():
        pytest.skip(f"no shared data mirror (set XHS_DATA_MIRROR; looked at {SHARED_DATA})")
    return SHARED_DATA

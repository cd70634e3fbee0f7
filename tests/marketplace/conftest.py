"""Marketplace tests read pages in English unless they say otherwise."""

from __future__ import annotations

import pytest


@pytest.fixture
def page_language() -> str:
    return "en"

"""Partner tests read pages in English (the reference strings); French comes from the
catalogue and is tested with the translations."""

from __future__ import annotations

import pytest


@pytest.fixture
def page_language() -> str:
    return "en"

"""Partner tests read pages in English (the reference strings); French comes from the
catalogue and is tested with the translations."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def page_language() -> str:
    return "en"


@pytest.fixture
def instance(app, tmp_path: Path) -> Path:
    """demo.json goes to a temporary instance folder, not the project's."""
    app.instance_path = str(tmp_path)
    return tmp_path

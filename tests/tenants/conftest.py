"""Center tests read pages in English (the reference strings); French comes from the
catalogue and is tested with the translations."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(app):
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client

"""Every model has a factory-boy factory, and each one builds a valid row."""

from __future__ import annotations

import inspect

import pytest
from factory.alchemy import SQLAlchemyModelFactory

from core.db import Base
from tests import factories


def _factories() -> dict[type, type]:
    found = {}
    for _name, obj in inspect.getmembers(factories, inspect.isclass):
        if issubclass(obj, SQLAlchemyModelFactory) and not obj._meta.abstract:
            found[obj._meta.model] = obj
    return found


def test_every_model_has_a_factory(app):
    models = {m.class_ for m in Base.registry.mappers}
    missing = sorted(m.__name__ for m in models - set(_factories()))
    assert missing == []


@pytest.mark.parametrize("name", sorted(m.__name__ for m in _factories()))
def test_each_factory_creates_a_row(app, unscoped, name):
    factory = next(f for m, f in _factories().items() if m.__name__ == name)
    obj = factory()
    assert obj.id is not None

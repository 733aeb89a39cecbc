"""Patterns follow Go's regexp dialect everywhere (SimpleSchema markers, CRD validation)."""

import pytest

from pykro.apiserver.admission.validation import validate
from pykro.goregexp import PatternError, compile_pattern
from pykro.schema.simpleschema import SimpleSchemaError, to_openapi


def test_posix_classes_are_understood_and_lookarounds_rejected() -> None:
    assert compile_pattern("^[[:alpha:]]+$").search("abc") is not None
    assert compile_pattern("^[[:alpha:]]+$").search("ab1") is None
    with pytest.raises(PatternError, match="invalid perl operator"):
        compile_pattern("(?=a)b")


def test_simpleschema_pattern_uses_the_go_dialect() -> None:
    schema = to_openapi({"name": 'string | pattern="^[[:lower:]]+$"'})
    assert schema["properties"]["name"]["pattern"] == "^[[:lower:]]+$"
    with pytest.raises(SimpleSchemaError, match="invalid pattern"):
        to_openapi({"name": 'string | pattern="(?!x)y"'})


def test_crd_pattern_validation_uses_the_go_dialect() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[[:lower:]]+$"}}}
    assert validate({"name": "abc"}, None, schema) == []
    (cause,) = validate({"name": "Abc"}, None, schema)
    assert "should match '^[[:lower:]]+$'" in str(cause)

"""The pytest plugin as a user meets it: a test file in a fresh project, run by pytest in a subprocess."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

RGD = """
apiVersion: kro.run/v1alpha1
kind: ResourceGraphDefinition
metadata: {name: notes.kro.run}
spec:
  schema:
    apiVersion: v1alpha1
    kind: Note
    spec: {text: string}
  resources:
  - id: cm
    template:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: "${schema.metadata.name}-note"}
      data: {text: "${schema.spec.%s}"}
"""

USER_TESTS = '''
RGD = """{rgd}"""

def test_note(kro):
    kro.apply(RGD % "text")
    kro.wait_rgd_active("notes.kro.run")
    kro.apply({"apiVersion": "kro.run/v1alpha1", "kind": "Note", "metadata": {"name": "n"},
               "spec": {"text": "hello"}})
    note = kro.wait_instance("Note", "n")
    [child] = kro.children(note)
    assert child["metadata"]["namespace"] == kro.namespace
    assert child["data"] == {"text": "hello"}

def test_namespaces_are_per_test(kro):
    assert kro.get("kro.run/v1alpha1", "Note", "n") is None

def test_broken_rgd_fails_readably(kro):
    kro.apply(RGD % "missing")
    kro.wait_rgd_active("notes.kro.run", timeout=5)
'''.replace("{rgd}", RGD)


def test_plugin_fixture_drives_an_rgd_and_reports_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2, failed=1)
    # The failure names the RGD, its state and the compile error, not a timeout alone.
    result.stdout.fnmatch_lines(["*ResourceGraphDefinition notes.kro.run is not Active (state 'Inactive')*"])
    result.stdout.fnmatch_lines(["*Ready=False*missing*"])


def test_plugin_starts_nothing_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "--kro-kubeconfig", "/nonexistent")
    result.assert_outcomes(passed=1)

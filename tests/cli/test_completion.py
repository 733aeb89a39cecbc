"""`pykro completion SHELL` as a user runs it: a script per shell that completes pykro's commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _pykro(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pykro.cli.main", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_naming_pykro(shell: str) -> None:
    done = _pykro("completion", shell)
    assert done.returncode == 0, done.stderr
    assert "_PYKRO_COMPLETE" in done.stdout and "pykro" in done.stdout


def test_an_unknown_shell_is_refused() -> None:
    done = _pykro("completion", "tcsh")
    assert done.returncode == 2 and "'tcsh' is not one of 'bash', 'zsh', 'fish'" in done.stderr


@pytest.mark.skipif(shutil.which("bash") is None or not (BIN / "pykro").exists(), reason="needs bash")
def test_bash_completes_commands_and_flags() -> None:
    script = (
        "source <(pykro completion bash)\n"
        'COMP_WORDS=(pykro v); COMP_CWORD=1; _pykro_completion pykro; echo "${COMPREPLY[*]}"\n'
        "COMPREPLY=(); COMP_WORDS=(pykro up --feature); COMP_CWORD=2; _pykro_completion pykro\n"
        'echo "${COMPREPLY[*]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.splitlines() == ["validate", "--feature-gates"], done.stderr

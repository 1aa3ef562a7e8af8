"""Shell completion: `ncmec completion SHELL` prints the script, and the installed console script
(pipelines/cli/entry.py, which ends with os._exit) answers what the script asks. Bash for real;
zsh and fish (not on every machine) through the requests their scripts make."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NCMEC = Path(sys.executable).parent / "ncmec"
ENV = {**os.environ, "PATH": f"{NCMEC.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def ncmec(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NCMEC), *args], capture_output=True, text=True, timeout=60, env={**ENV, **env})


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_commands_options_choices_and_metrics(tmp_path):
    """The printed script sourced in a bash that is asked, as Tab asks it, for each line."""
    script = tmp_path / "ncmec.bash"
    done = ncmec("completion", "bash")
    assert done.returncode == 0 and done.stderr == ""
    script.write_text(done.stdout)
    lines = ["ncmec ex", "ncmec query --fo", "ncmec query --format ", "ncmec explain WI 2023 missing_",
             "ncmec explain w", "ncmec completion "]
    asks = "\n".join(f'COMP_WORDS=({line}""); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _ncmec_completion ncmec; '
                     'echo "${COMPREPLY[*]}"' for line in lines)
    bash = subprocess.run(["bash", "--norc", "--noprofile", "-c", f"source {script}\n{asks}"], capture_output=True,
                          text=True, timeout=120, env=ENV, cwd=tmp_path)
    assert bash.returncode == 0 and bash.stderr == "", bash.stderr
    assert [sorted(found.split()) for found in bash.stdout.splitlines()] == [
        ["explain", "export"], ["--format"], ["csv", "json", "md", "parquet", "table"],
        ["missing_child_cases", "missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr"],
        ["wa", "wi", "wv", "wy"], ["bash", "fish", "zsh"]]


def test_the_console_script_answers_bash_s_request_itself():
    done = ncmec(_NCMEC_COMPLETE="complete_bash", COMP_WORDS="ncmec ex", COMP_CWORD="1")
    assert (done.returncode, done.stdout.split(), done.stderr) == (0, ["export", "explain"], "")


def test_zsh_s_script_and_its_request():
    script = ncmec("completion", "zsh").stdout
    assert script.startswith("#compdef ncmec") and "_NCMEC_COMPLETE=complete_zsh ncmec" in script
    done = ncmec(_NCMEC_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="ncmec ex")
    assert done.returncode == 0 and done.stdout.startswith("_arguments '*: :((")
    assert '"export":"Write parquet' in done.stdout and '"explain":"Where a number comes from' in done.stdout


def test_fish_s_script_and_its_request():
    script = ncmec("completion", "fish").stdout
    assert script.startswith("complete --command ncmec") and "_NCMEC_COMPLETE=complete_fish" in script
    done = ncmec(_NCMEC_COMPLETE="complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args",
                 _TYPER_COMPLETE_ARGS="ncmec query --fo")
    assert done.returncode == 0 and done.stdout.split("\t")[0] == "--format"


@pytest.mark.parametrize("args", [(), ("tcsh",)])
def test_a_missing_or_unknown_shell_is_one_line(args):
    done = ncmec("completion", *args)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith("ncmec completion: error: ") and "bash" in done.stderr

"""setup.cfg installs every package, the chapters included."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config


def test_every_package_folder_is_listed_in_setup_cfg():
    # The packages are listed by hand (one lives outside dlscratch/), so a new folder
    # with an __init__.py would silently be left out of the wheel without this test.
    config = read_setup_cfg()
    listed = set(config["options"]["packages"].split())
    folders = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "dlscratch").rglob("__init__.py")}
    assert listed == folders | {"dlscratch.chapters"}


def test_the_chapters_folder_is_installed_as_dlscratch_chapters():
    config = read_setup_cfg()
    mapping = dict(line.split("=") for line in config["options"]["package_dir"].split("\n")
                   if line.strip())
    assert {k.strip(): v.strip() for k, v in mapping.items()} == {"dlscratch.chapters": "chapters"}
    assert (ROOT / "chapters" / "__init__.py").is_file()


def test_the_notebook_extra_installs_what_opening_the_chapters_needs():
    extra = read_setup_cfg()["options.extras_require"]["notebook"].split()
    names = {requirement.split(">")[0].split("=")[0] for requirement in extra}
    assert {"jupyterlab", "jupytext"} <= names

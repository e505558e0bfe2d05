"""The license registry: its data, key lookups, known sources, and where it is read from."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from curate.config import InputConfig
from curate.errors import LicenseError
from curate.licensing import (
    UnknownKeyError,
    check_license_key,
    check_source_key,
    license_parts,
    registry,
    registry_dir,
    resolve_input_license,
)
from curate.licensing.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]

# The Hub's license ids (huggingface/hub-docs, docs/hub/repositories-licenses.md), plus the
# Llama 3 ids the Hub has added since.
HUB_LICENSES = {
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd",
    "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0",
    "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0",
    "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0", "cdla-permissive-1.0",
    "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1",
    "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc",
    "lppl-1.3c", "ms-pl", "mpl-2.0", "odc-by", "odbl", "openrail++", "osl-3.0", "postgresql",
    "ofl-1.1", "ncsa", "unlicense", "zlib", "pddl", "lgpl-lr", "deepfloyd-if-license", "llama2",
    "gemma", "unknown", "other", "llama3", "llama3.1",
}  # fmt: skip
ISSUE_LICENSES = [
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0", "CC-BY-4.0", "CC-BY-3.0",
    "CC-BY-SA-4.0", "CC-BY-SA-3.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0", "ODC-BY-1.0",
    "ODbL-1.0", "PDDL-1.0", "AI2-ImpACT-LR", "AI2-ImpACT-MR", "AI2-ImpACT-HR", "LMSYS-Chat-1M",
    "Llama-2", "Llama-3", "unspecified",
]  # fmt: skip
ISSUE_SOURCES = [
    "wildchat-1m", "lmsys-chat-1m", "sharegpt", "oasst1", "oasst2", "hh-rlhf", "ultrafeedback",
    "chatbot-arena-conversations", "dolly-15k", "helpsteer2",
]  # fmt: skip


@pytest.mark.parametrize("key", ISSUE_LICENSES)
def test_the_licenses_the_issue_names_are_registered(key: str) -> None:
    assert registry().license(key).key == key


@pytest.mark.parametrize("key", ISSUE_SOURCES)
def test_the_sources_the_issue_names_are_known(key: str) -> None:
    source = registry().source(key)
    assert source.url.startswith("https://")
    assert check_license_key(source.license) == source.license


@pytest.mark.parametrize("entry", list(registry().licenses.values()), ids=lambda entry: entry.key)
def test_every_license_has_valid_ids(entry: object) -> None:
    from curate.licensing import KnownLicense

    assert isinstance(entry, KnownLicense)
    assert entry.hub in HUB_LICENSES
    if entry.spdx.startswith("LicenseRef-"):
        assert entry.spdx == f"LicenseRef-{entry.key}"
    else:
        assert canonicalize_license_expression(entry.spdx) == entry.spdx
    assert entry.url is None or entry.url.startswith("https://")
    assert entry.note.endswith(".")


def test_only_placeholders_have_no_url() -> None:
    assert sorted(e.key for e in registry().licenses.values() if e.url is None) == [
        "research-only",
        "unknown",
    ]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("CC BY-SA 3.0", "CC-BY-SA-3.0"),
        ("odc-by", "ODC-BY-1.0"),
        ("ODC-By-1.0", "ODC-BY-1.0"),
        ("  Apache 2.0 ", "Apache-2.0"),
        ("Llama 2", "Llama-2"),
        ("impact-lr", "AI2-ImpACT-LR"),
        ("none", "unspecified"),
        ("other", "unknown"),
        ("odc-by AND CC-BY-4.0", "CC-BY-4.0 AND ODC-BY-1.0"),
        ("MIT AND mit", "MIT"),
    ],
)
def test_check_license_key_resolves_keys_and_aliases(written: str, canonical: str) -> None:
    assert check_license_key(written) == canonical


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("CC-BY-4", "unknown license 'CC-BY-4'; did you mean 'CC-BY-4.0'?"),
        ("apache-2", "unknown license 'apache-2'; did you mean 'Apache-2.0'?"),
        ("ODBL-1", "unknown license 'ODBL-1'; did you mean 'ODbL-1.0'?"),
        ("my-own-terms-v7", "unknown license 'my-own-terms-v7'; see `curate licenses` for the known keys"),
        ("MIT AND GPL-9", "unknown license 'GPL-9'"),
        ("", "a license key cannot be empty"),
    ],
)
def test_check_license_key_refuses_unknown_keys_with_a_suggestion(written: str, message: str) -> None:
    with pytest.raises(UnknownKeyError) as caught:
        check_license_key(written)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, LicenseError)


@pytest.mark.parametrize(
    ("model", "terms"),
    [
        ("gpt-4-0314", "openai"),
        ("gpt-3.5-turbo", "openai"),
        ("GPT-4o-mini", "openai"),
        ("openai/gpt-4", "openai"),
        ("gpt-oss-20b", None),
        ("claude-instant-v1", "anthropic"),
        ("claude-3-5-sonnet-20240620", "anthropic"),
        ("palm-2", "google"),
        ("gemini-1.5-pro", "google"),
        ("bard", "google"),
        ("gemma-2-9b-it", "google-gemma"),
        ("llama-2-13b-chat", "meta-llama-2"),
        ("meta-llama/Llama-2-70b-chat-hf", "meta-llama-2"),
        ("Meta-Llama-3-8B-Instruct", "meta-llama-3"),
        ("llama-3.1-405b-instruct", "meta-llama-3.1"),
        ("meta-llama/Llama-3.3-70B-Instruct", "meta-llama-3.1"),
        ("mixtral-8x7b-instruct-v0.1", "mistral"),
        ("mistral-7b-instruct-v0.2", "mistral"),
        ("vicuna-13b", None),
        ("olmo-2-13b-instruct", None),
        ("", None),
        (None, None),
    ],
)
def test_model_names_match_their_providers_terms(model: str | None, terms: str | None) -> None:
    found = registry().terms_for(model)
    assert (found.key if found else None) == terms


def spec(**fields: object) -> InputConfig:
    values: dict[str, object] = {"name": "chats", "path": "x.jsonl", "format": "auto", "dataset": None}
    return InputConfig.model_construct(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"license": None}, "unspecified"),
        ({"license": "cc-by-4.0"}, "CC-BY-4.0"),
        ({"license": "auto", "dataset": "wildchat-1m"}, "ODC-BY-1.0"),
        ({"license": "auto", "dataset": "allenai/WildChat-1M"}, "ODC-BY-1.0"),
        ({"license": "AUTO", "dataset": "dolly"}, "CC-BY-SA-3.0"),
        ({"license": "auto", "format": "wildchat"}, "ODC-BY-1.0"),
        ({"license": "auto", "format": "lmsys"}, "LMSYS-Chat-1M"),
        ({"license": "auto", "format": "arena", "dataset": "chatbot-arena"}, "CC-BY-4.0 AND CC-BY-NC-4.0"),
        ({"license": "auto", "format": "arena", "dataset": "arena-55k"}, "Apache-2.0"),
        ({"license": "auto", "format": "arena", "dataset": "arena-100k"}, "CC-BY-4.0"),
        (
            {"license": "auto", "format": "arena", "dataset": "lmarena-ai/arena-human-preference-140k"},
            "CC-BY-4.0",
        ),
        ({"license": "auto", "format": "oasst"}, "Apache-2.0"),
        ({"license": "auto", "format": "sharegpt", "dataset": "sharegpt"}, "unspecified"),
    ],
)
def test_resolve_input_license(fields: dict[str, object], expected: str) -> None:
    assert resolve_input_license(spec(**fields)) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"license": "auto", "format": "sharegpt"}, "`license: auto` needs `dataset:`"),
        (
            {"license": "auto", "format": "arena"},
            "`license: auto` needs `dataset:` because format 'arena' reads several known releases with "
            "different licenses: chatbot-arena-conversations (CC-BY-4.0 AND CC-BY-NC-4.0); "
            "arena-human-preference-55k (Apache-2.0); arena-human-preference-100k (CC-BY-4.0); "
            "arena-human-preference-140k (CC-BY-4.0)",
        ),
        ({"license": "auto", "dataset": "wildchatt-1m"}, "did you mean 'wildchat-1m'?"),
        ({"license": "cc-by-nc"}, "unknown license 'cc-by-nc'"),
    ],
)
def test_resolve_input_license_explains_what_it_cannot_resolve(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(UnknownKeyError, match=re.escape(message)):
        resolve_input_license(spec(**fields))


def test_check_source_key() -> None:
    assert check_source_key("LMSYS") == "lmsys-chat-1m"
    with pytest.raises(UnknownKeyError, match="did you mean 'helpsteer2'"):
        check_source_key("helpsteer")


def write_registry(folder: Path, licenses: str, terms: str = "[]", sources: str = "[]") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "licenses.yaml").write_text(textwrap.dedent(licenses), encoding="utf-8")
    (folder / "terms.yaml").write_text(textwrap.dedent(terms), encoding="utf-8")
    (folder / "sources.yaml").write_text(textwrap.dedent(sources), encoding="utf-8")
    return folder


ENTRY = """\
- key: A
  name: A license
  spdx: LicenseRef-A
  hub: other
  aliases: [{alias}]
  use: {use}
  attribution: true
  share_alike: false
  no_derivatives: false
  url: https://a.example
  note: A.
"""


@pytest.mark.parametrize(
    ("licenses", "message"),
    [
        (ENTRY.format(alias="a1", use="free"), r"licenses.yaml:1: entry 0: use: Input should be"),
        (
            ENTRY.format(alias="a1", use="commercial") + ENTRY.format(alias="a2", use="commercial"),
            "names two",
        ),
        (
            ENTRY.format(alias="a1", use="commercial")
            + ENTRY.format(alias="a1", use="commercial").replace("key: A", "key: B"),
            "'a1' names both 'A' and 'B'",
        ),
        (ENTRY.format(alias="a1", use="commercial").replace("  note: A.\n", ""), "note: Field required"),
        (ENTRY.format(alias="a1", use="commercial") + "  note: again\n", "duplicate key 'note'"),
        ("key: A\n", "expected a list of entries"),
    ],
)
def test_a_malformed_registry_is_refused_naming_the_file(tmp_path: Path, licenses: str, message: str) -> None:
    with pytest.raises(LicenseError, match=message):
        load_registry(write_registry(tmp_path / "reg", licenses))


def test_a_source_with_an_unknown_license_is_refused(tmp_path: Path) -> None:
    source = """\
    - key: s
      name: S
      hub: o/s
      license: A AND B
      url: https://s.example
      format: null
      attribution: S
      note: S.
    """
    folder = write_registry(tmp_path / "reg", ENTRY.format(alias="a1", use="commercial"), sources=source)
    with pytest.raises(LicenseError, match="s: unknown license 'B'"):
        load_registry(folder)


def test_a_format_default_over_releases_that_differ_is_refused(tmp_path: Path) -> None:
    """`license: auto` would otherwise pick one release's license for another's file."""
    release = """    - key: {key}
      name: {key}
      hub: o/{key}
      license: {license}
      url: https://s.example
      format: arena
      format_default: {default}
      attribution: S
      note: S.
    """
    sources = textwrap.dedent(release.format(key="old", license="A", default="true")) + textwrap.dedent(
        release.format(key="new", license="B", default="false")
    )
    licenses = ENTRY.format(alias="a1", use="commercial") + ENTRY.format(
        alias="b1", use="commercial"
    ).replace("key: A", "key: B")
    folder = write_registry(tmp_path / "reg", licenses, sources=sources)
    with pytest.raises(LicenseError, match="format 'arena' reads releases with different licenses"):
        load_registry(folder)


@pytest.mark.parametrize("alias", ["a AND b", "x OR y", "a WITH b", "a/b", "(a)"])
def test_a_registry_alias_that_reads_as_an_expression_is_refused(tmp_path: Path, alias: str) -> None:
    folder = write_registry(tmp_path / "reg", ENTRY.format(alias=f"'{alias}'", use="commercial"))
    with pytest.raises(LicenseError, match="does not read as one license in an expression"):
        load_registry(folder)


def test_a_source_whose_license_is_no_expression_is_refused(tmp_path: Path) -> None:
    source = """\
    - key: s
      name: S
      hub: o/s
      license: A AND
      url: https://s.example
      format: null
      attribution: S
      note: S.
    """
    folder = write_registry(tmp_path / "reg", ENTRY.format(alias="a1", use="commercial"), sources=source)
    with pytest.raises(LicenseError, match="s: 'A AND' is not a license expression"):
        load_registry(folder)


def test_the_registry_is_read_from_the_checkout_here() -> None:
    assert registry_dir() == ROOT / "licenses"


@pytest.mark.slow
def test_the_wheel_ships_the_registry_and_reads_it_from_the_package(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("curate-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {f"curate/licenses/{name}" for name in ("licenses.yaml", "terms.yaml", "sources.yaml")} <= names
    probe = subprocess.run(
        [sys.executable, "-c", "from curate.licensing import registry; print(registry().folder)"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()) == tmp_path / "site" / "curate" / "licenses"


def test_spdx_expressions_of_sources_are_valid() -> None:
    for source in registry().sources.values():
        spdx = " AND ".join(registry().license(part).spdx for part in license_parts(source.license))
        try:
            canonicalize_license_expression(spdx)
        except InvalidLicenseExpression as exc:  # pragma: no cover - the assertion reports it
            pytest.fail(f"{source.key}: {exc}")


def test_the_public_surface_is_deliberate_and_documented() -> None:
    import types

    import curate.licensing as licensing

    public = {
        name
        for name, value in vars(licensing).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert public == set(licensing.__all__)
    constants = {"TARGETS", "USE_CLASSES"}
    undocumented = [n for n in licensing.__all__ if n not in constants and not getattr(licensing, n).__doc__]
    assert undocumented == []

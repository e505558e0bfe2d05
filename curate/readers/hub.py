"""Hub datasets: ``hf://datasets/ORG/NAME[@REV]/<glob>`` paths and ``dataset: ORG/NAME`` inputs.

An input is pinned to one commit of its repository (``Snapshot``). Online, the Hub says which
commit the revision is (``main`` unless ``revision:`` or ``@REV`` says otherwise) and lists
its files; every file is then streamed from that commit through ``HfFileSystem``. With
``HF_HUB_OFFLINE=1`` the local Hub cache answers instead, laid out as ``huggingface_hub``
lays it out: ``datasets--ORG--NAME/refs/<revision>`` holds the commit, and
``snapshots/<commit>/`` the files downloaded so far, each a link to ``blobs/<etag>``. A file
keeps the same label, URL and ETag either way, so a run's record does not depend on where the
bytes came from. The HF token is ``huggingface_hub``'s business: curate never reads it.

A ``dataset:`` input reads the files of one config and split, as ``datasets.load_dataset``
would pick them: the ``configs`` of the dataset card's metadata when it has them, else the
files named for the split (``data/train-00000-of-00003.parquet``, ``train.jsonl.gz``,
``train/``), else every data file as ``train`` (``split_files``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from curate.errors import RemoteInputError
from curate.licensing.hub import HUB_DATASET_PATH
from curate.readers.discovery import DATA_SUFFIXES, without_compression
from curate.readers.remote import RemoteFile, unreachable

COMMIT = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
SPLIT_KEYWORDS = {
    "train": ("train", "training"),
    "validation": ("validation", "valid", "dev", "val"),
    "test": ("test", "testing", "eval", "evaluation"),
}
SHARDED = re.compile(r"^data/(?P<split>\w+)-\d{5}-of-\d{5}[^/]*\.[^/]+$")
SHARD_PATTERN = "data/{split}-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*"
SEP = "[-._ 0-9]"
IN_FOLDER = tuple(
    template.replace("S", SEP) for template in ("**/{k}/**", "**/{k}S*/**", "**/*S{k}/**", "**/*S{k}S*/**")
)
IN_NAME = tuple(template.replace("S", SEP) for template in ("**/{k}S*", "**/*S{k}S*"))


@dataclass(frozen=True)
class HubFile:
    """A file of a repository at one commit: its path in the repo, size and ETag, and where
    the local cache holds it (offline)."""

    path: str
    size: int | None
    etag: str | None
    local: Path | None = None


@dataclass(frozen=True)
class Snapshot:
    """A dataset repository at one commit, and its files."""

    repo: str
    revision: str
    sha: str
    files: tuple[HubFile, ...]

    def remote_file(self, file: HubFile) -> RemoteFile:
        """``file`` as a data file to read: from the cache when it is there, else streamed."""
        from huggingface_hub import hf_hub_url

        label = f"hf://datasets/{self.repo}/{file.path}"
        local, repo, sha = file.local, self.repo, self.sha

        def opener(sequential: bool) -> IO[bytes]:
            if local is not None:
                return local.open("rb")
            options = {"block_size": 0} if sequential else {}
            handle: IO[bytes] = _filesystem().open(f"datasets/{repo}@{sha}/{file.path}", "rb", **options)
            return handle

        return RemoteFile(
            label=label,
            url=hf_hub_url(self.repo, file.path, repo_type="dataset", revision=self.sha),
            size=file.size,
            opener=opener,
            etag=file.etag,
            sha256=file.etag if file.etag and SHA256.match(file.etag) else None,
        )


def parse_hub_path(path: str) -> tuple[str, str | None, str]:
    """``hf://datasets/ORG/NAME[@REV]/<pattern>`` -> (``ORG/NAME``, ``REV`` or None, pattern)."""
    match = HUB_DATASET_PATH.match(path)
    if match is None:
        raise ValueError(
            "a Hub path reads hf://datasets/ORG/NAME/<file, folder or glob>, with @REVISION after NAME"
            " or `revision:` for another revision than main"
        )
    return match["repo"], match["revision"], (match["rest"] or "").strip("/")


def offline() -> bool:
    """True under ``HF_HUB_OFFLINE`` (read now, not when ``huggingface_hub`` was imported)."""
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"} or bool(constants.HF_HUB_OFFLINE)


def hub_cache() -> Path:
    """The local Hub cache, where ``huggingface_hub`` puts it (``HF_HUB_CACHE``, ``HF_HOME``...)."""
    from huggingface_hub import constants

    env = os.environ
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(name):
            return Path(os.path.expandvars(env[name])).expanduser()
    if env.get("HF_HOME"):
        return Path(os.path.expandvars(env["HF_HOME"])).expanduser() / "hub"
    return Path(constants.HF_HUB_CACHE)


def snapshot(repo: str, revision: str | None) -> Snapshot:
    """``repo`` at ``revision`` (default ``main``): online from the Hub, offline from the cache."""
    revision = revision or "main"
    return _cached(repo, revision) if offline() else _online(repo, revision)


def _online(repo: str, revision: str) -> Snapshot:
    from huggingface_hub import HfApi

    where = f"hf://datasets/{repo}@{revision}"
    try:
        info = HfApi().dataset_info(repo, revision=revision, files_metadata=True)
    except Exception as exc:
        raise unreachable(where, exc) from None
    files = [
        HubFile(
            path=sibling.rfilename,
            size=sibling.size,
            etag=sibling.lfs.sha256 if sibling.lfs is not None else sibling.blob_id,
        )
        for sibling in info.siblings or []
    ]
    return Snapshot(repo, revision, str(info.sha), tuple(sorted(files, key=lambda file: file.path)))


def _cached(repo: str, revision: str) -> Snapshot:
    cache = hub_cache()
    folder = cache / ("datasets--" + repo.replace("/", "--"))
    where = f"hf://datasets/{repo}@{revision}"
    if not folder.is_dir():
        raise RemoteInputError(
            f"{where}: HF_HUB_OFFLINE is set and the local Hub cache ({cache}) does not hold this"
            " dataset; download it first (huggingface-cli download --repo-type dataset"
            f" {repo}) or unset HF_HUB_OFFLINE"
        )
    ref = folder / "refs" / revision
    if COMMIT.match(revision) and (folder / "snapshots" / revision).is_dir():
        sha = revision
    elif ref.is_file():
        sha = ref.read_text(encoding="utf-8").strip()
    else:
        raise RemoteInputError(
            f"{where}: HF_HUB_OFFLINE is set and the local Hub cache has no revision {revision!r} of"
            " this dataset; name a revision it holds, or unset HF_HUB_OFFLINE"
        )
    root = folder / "snapshots" / sha
    if not root.is_dir():
        raise RemoteInputError(f"{where}: the local Hub cache names commit {sha} but holds none of its files")
    files = [
        HubFile(
            path=path.relative_to(root).as_posix(),
            size=path.stat().st_size,
            etag=path.resolve().name if path.is_symlink() else None,
            local=path,
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]
    return Snapshot(repo, revision, sha, tuple(files))


def _filesystem() -> Any:
    from huggingface_hub import HfFileSystem

    return HfFileSystem()


def matching(files: Iterable[HubFile], pattern: str) -> list[HubFile]:
    """The data files ``pattern`` names: a file, a folder (every data file under it) or a glob.

    Globs read as ``datasets`` reads them: ``*`` within a folder, ``**`` across folders; hidden
    files and folders (``.cache/``) only when the pattern names them.
    """
    files = list(files)
    if pattern and not any(char in pattern for char in "*?["):
        exact = [file for file in files if file.path == pattern]
        if exact:
            return exact
        prefix = pattern.rstrip("/") + "/"
        return [file for file in files if file.path.startswith(prefix) and _data(file.path)]
    regex = glob_regex(pattern or "**")
    return [
        file for file in files if regex.match(file.path) and _data(file.path) and _shown(file.path, pattern)
    ]


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression over ``/``-separated paths.

    >>> regex = glob_regex("**/train[-._ 0-9]*")
    >>> [bool(regex.match(p)) for p in ("train.csv", "a/b/train-1.csv", "trainer.csv")]
    [True, True, False]
    """
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            index = end + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out) + r"\Z")


def _data(path: str) -> bool:
    return without_compression(path.rsplit("/", 1)[-1]).endswith(DATA_SUFFIXES)


def _shown(path: str, pattern: str) -> bool:
    """False for a file in a hidden or special folder (or hidden itself) the pattern does not name."""
    parts = path.split("/")
    hidden = [part for part in parts if part.startswith((".", "__"))]
    return all(part in pattern for part in hidden)


def split_files(snap: Snapshot, config: str | None, split: str) -> list[HubFile]:
    """The files of one config and split of a dataset, as ``datasets.load_dataset`` picks them."""
    splits = _split_patterns(snap, config)
    if split not in splits:
        known = ", ".join(splits) or "none"
        raise RemoteInputError(
            f"hf://datasets/{snap.repo}@{snap.revision}: no split {split!r}"
            f"{f' in config {config!r}' if config else ''} (splits: {known}); set the input's `split:`"
        )
    found: dict[str, HubFile] = {}
    for pattern in splits[split]:
        for file in matching(snap.files, pattern):
            found.setdefault(file.path, file)
    if not found:
        raise RemoteInputError(f"hf://datasets/{snap.repo}@{snap.revision}: split {split!r} has no data file")
    return [found[path] for path in sorted(found)]


def _split_patterns(snap: Snapshot, config: str | None) -> dict[str, list[str]]:
    configs = _card_configs(snap)
    where = f"hf://datasets/{snap.repo}@{snap.revision}"
    if not configs:
        if config not in (None, "default"):
            raise RemoteInputError(f"{where}: the dataset card declares no configs, so no config {config!r}")
        return infer_splits([file.path for file in snap.files if _data(file.path)])
    names = [str(entry.get("config_name", "default")) for entry in configs]
    chosen = _chosen_config(configs, names, config, where)
    data_dir = str(chosen.get("data_dir") or "").strip("/")
    data_files = chosen.get("data_files")
    if data_files is None:
        inside = [file.path for file in snap.files if file.path.startswith(data_dir + "/")]
        return infer_splits([path for path in inside if _data(path)])
    prefix = f"{data_dir}/" if data_dir else ""
    patterns = _patterns(data_files)
    return {split: [prefix + pattern for pattern in listed] for split, listed in patterns.items()}


def _chosen_config(
    configs: list[Mapping[str, Any]], names: list[str], config: str | None, where: str
) -> Mapping[str, Any]:
    if config is not None:
        if config in names:
            return configs[names.index(config)]
        raise RemoteInputError(f"{where}: no config {config!r}; the dataset card declares {', '.join(names)}")
    defaults = [entry for entry in configs if entry.get("default")]
    if defaults:
        return defaults[0]
    if "default" in names:
        return configs[names.index("default")]
    if len(configs) == 1:
        return configs[0]
    raise RemoteInputError(f"{where}: several configs ({', '.join(names)}); choose one with `config:`")


def _patterns(data_files: Any) -> dict[str, list[str]]:
    """A config's ``data_files`` (a pattern, a list, ``[{split, path}]`` or ``{split: path}``) by split."""
    if isinstance(data_files, str):
        return {"train": [data_files]}
    if isinstance(data_files, Mapping):
        return {str(split): _listed(paths) for split, paths in data_files.items()}
    if isinstance(data_files, list) and all(isinstance(item, Mapping) for item in data_files):
        found: dict[str, list[str]] = {}
        for item in data_files:
            found.setdefault(str(item.get("split", "train")), []).extend(_listed(item.get("path")))
        return found
    return {"train": _listed(data_files)}


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def infer_splits(paths: list[str]) -> dict[str, list[str]]:
    """Split -> patterns, from the files' names, by the rules of ``datasets``' data-file patterns.

    >>> list(infer_splits(["data/test-00000-of-00001.parquet", "data/train-00000-of-00002.parquet"]))
    ['train', 'test']
    >>> found = infer_splits(["harmless/train.jsonl.gz", "harmless/test.jsonl.gz", "red_team.jsonl.gz"])
    >>> {split: patterns[0] for split, patterns in found.items()}
    {'train': '**/train[-._ 0-9]*', 'test': '**/test[-._ 0-9]*'}
    """
    sharded = [match["split"] for path in paths if (match := SHARDED.match(path))]
    if sharded:
        order = [split for split in SPLIT_KEYWORDS if split in sharded]
        order += sorted(set(sharded) - set(order))
        return {split: [SHARD_PATTERN.format(split=split)] for split in order}
    for templates in (IN_FOLDER, IN_NAME):
        found = {}
        for split, keywords in SPLIT_KEYWORDS.items():
            patterns = [template.format(k=keyword) for keyword in keywords for template in templates]
            if any(glob_regex(pattern).match(path) for pattern in patterns for path in paths):
                found[split] = patterns
        if found:
            return found
    return {"train": ["**"]} if paths else {}


def _card_configs(snap: Snapshot) -> list[Mapping[str, Any]]:
    """The ``configs`` of the dataset card's YAML metadata (empty when it has none)."""
    readme = next((file for file in snap.files if file.path == "README.md"), None)
    if readme is None:
        return []
    handle = snap.remote_file(readme).open()
    with handle:
        text = handle.read().decode("utf-8", "replace")
    match = re.match(r"^---\s*\n(.*?)\n---\s*(?:\n|$)", text, re.S)
    try:
        metadata = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError:
        return []
    configs = metadata.get("configs") if isinstance(metadata, dict) else None
    return [entry for entry in configs if isinstance(entry, Mapping)] if isinstance(configs, list) else []

"""Links to a person's page on a social network: the handle in the path names someone.

``ProfileUrlRecognizer`` finds URLs (with or without ``https://`` and ``www.``) whose path
starts with a personal handle on the networks people paste: ``twitter.com/jack``,
``x.com/jack/status/1``, ``instagram.com/ada.l``, ``facebook.com/ada.lovelace`` and
``facebook.com/profile.php?id=4``, ``linkedin.com/in/ada``, ``tiktok.com/@ada``,
``youtube.com/@ada`` (and ``/c/``, ``/user/``, ``/channel/``), ``medium.com/@ada``,
``reddit.com/u/ada``, ``threads.net/@ada``, ``t.me/ada``, ``twitch.tv/ada``,
``pinterest.com/ada``, ``snapchat.com/add/ada``, ``github.com/ada``. The whole URL is the
value (a post under a handle names its author as much as the profile does). Site paths
that are not handles (``twitter.com/search``, ``instagram.com/p/...``,
``facebook.com/groups/...``, ``linkedin.com/company/...``) are not reported.

**GitHub repositories are not profiles.** ``github.com/ada`` is a person's page;
``github.com/org/repo`` names a project: it is how code is cited, installed and cloned
(``pip install git+https://github.com/org/repo``), its owner is as often an organisation
as a person, and replacing it would break the technical text chat logs are full of. Only
the bare ``github.com/<handle>`` (query and fragment allowed) is reported.

>>> r = ProfileUrlRecognizer()
>>> text = "see https://twitter.com/ada_l and github.com/psf/requests or github.com/ada."
>>> [text[x.start : x.end] for x in r.analyze(text, ["PROFILE_URL"])]
['https://twitter.com/ada_l', 'github.com/ada']
"""

from __future__ import annotations

from typing import Final

import regex
from presidio_analyzer import Pattern, PatternRecognizer

START: Final = r"(?<![\w@./-])(?:https?://)?(?:(?:www|m|mobile|web|[a-z]{2})\.)?"
HANDLE: Final = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
"""Letters, digits, ``_``, and ``.``/``-`` inside (a sentence's full stop is not part of it)."""
URL: Final = r"[^\s<>()\[\]{}\"'`]"
URL_LAST: Final = r"[^\s<>()\[\]{}\"'`.,;:!?]"
"""A character of a URL, and one it may end with (a sentence's punctuation is not part of it)."""
QUERY: Final = rf"(?:[?#]{URL}*{URL_LAST})?"
REST: Final = rf"(?:/{URL}*{URL_LAST})?{QUERY}"
"""A path, query or fragment after the handle."""
END: Final = r"(?![\w-])"


def _not(words: str) -> str:
    return rf"(?!(?:{'|'.join(words.split())})(?![\w.-]))"


SITES: Final = {
    "twitter": (
        r"(?:twitter|x)\.com/",
        _not(
            "home explore search i settings hashtag intent share login signup notifications messages "
            "compose tos privacy about en jobs download"
        ),
    ),
    "instagram": (
        r"instagram\.com/",
        _not("p reel reels explore accounts direct about developer legal tv web"),
    ),
    "facebook": (
        r"(?:facebook|fb)\.com/",
        _not(
            "groups pages events watch marketplace gaming login help policies sharer share dialog photo "
            "photo\\.php permalink\\.php story\\.php profile\\.php hashtag business ads plugins legal privacy"
        ),
    ),
    "tiktok": (r"tiktok\.com/@", ""),
    "linkedin": (r"linkedin\.com/(?:in|pub)/", ""),
    "youtube": (r"youtube\.com/(?:@|c/|user/|channel/)", ""),
    "medium": (r"medium\.com/@", ""),
    "reddit": (r"reddit\.com/u(?:ser)?/", ""),
    "threads": (r"threads\.net/@", ""),
    "telegram": (r"t\.me/", _not("joinchat addstickers share s c")),
    "twitch": (r"twitch\.tv/", _not("directory videos search settings downloads p")),
    "pinterest": (r"pinterest\.[a-z.]{2,6}/", _not("pin search ideas today settings business")),
    "snapchat": (r"snapchat\.com/add/", ""),
}
GITHUB_RESERVED: Final = _not(
    "orgs features pricing topics collections trending marketplace settings login join about enterprise "
    "sponsors explore notifications new apps search site contact security customer-stories readme team "
    "issues pulls codespaces copilot events resources solutions"
)


def _patterns() -> list[Pattern]:
    patterns = [
        Pattern(f"{site} profile", rf"{START}{host}{reserved}{HANDLE}{END}{REST}", 0.9)
        for site, (host, reserved) in SITES.items()
    ]
    facebook = rf"{START}facebook\.com/profile\.php\?id=\d+{END}"
    github = (
        rf"{START}github\.com/{GITHUB_RESERVED}[A-Za-z0-9](?:[A-Za-z0-9-]{{0,37}}[A-Za-z0-9])?"
        rf"(?![\w-]|\.\w|/{URL_LAST})/?{QUERY}"
    )
    patterns += [Pattern("facebook numeric profile", facebook, 0.9), Pattern("github profile", github, 0.9)]
    return patterns


class ProfileUrlRecognizer(PatternRecognizer):
    """URLs of a person's page on a social network (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PROFILE_URL",
            patterns=_patterns(),
            name="ProfileUrlRecognizer",
            global_regex_flags=regex.DOTALL | regex.MULTILINE | regex.IGNORECASE,
        )

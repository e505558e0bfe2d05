"""Keep presidio off the network: tldextract must use the suffix list it ships with.

presidio's e-mail recognizer calls ``tldextract.extract``, whose module-level extractor
fetches the public suffix list over HTTP on first use and caches it under ``~/.cache``.
``use_bundled_suffix_list`` swaps that extractor for one with no URLs and no disk cache,
which reads the snapshot bundled in the tldextract wheel: zero lookups, same answers.
"""

from __future__ import annotations

import os

_done = False


def use_bundled_suffix_list() -> None:
    """Make every ``tldextract.extract`` call in this process offline (idempotent)."""
    global _done
    if _done:
        return
    # Read by extractors built later (by code other than presidio's) in this process and
    # in child processes that inherit the environment.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import tldextract.tldextract

    tldextract.tldextract.TLD_EXTRACTOR = tldextract.tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
    )
    _done = True

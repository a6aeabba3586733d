"""Links in abstracts: find them, trim the sentence punctuation glued to them, and sort them into
``code`` (GitHub, GitLab, Hugging Face … repositories), ``project`` (project pages, ``*.github.io``,
"Project page: …") and ``other``."""

from __future__ import annotations

import re

# Links with a scheme are found by a regex with a literal prefix (fast); bare links on well-known hosts
# ("code at github.com/x/y") by str.find, which is much faster than a regex alternation.
_HTTP = re.compile(r"https?://[^\s<>\"'`{}|\\^]+")
_BODY = re.compile(r"[^\s<>\"'`{}|\\^]+")
# (_HOST_ENDS: the letters just before the "/" of these hosts, a cheap first check.)
_BARE_HOSTS = ("github.com/", "gitlab.com/", "bitbucket.org/", "codeberg.org/", "huggingface.co/", "bit.ly/")
_TRAILING = ".,;:!?'\"”’»…*"
_CLAUSE_END = re.compile(r"[.;!?]\s")
_PAIRS = {")": "(", "]": "["}
_CODE_HOSTS = (
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "huggingface.co",
    "hf.co",
    "sourceforge.net",
    "gitee.com",
    "colab.research.google.com",
)
_PAGE_HOSTS = (".github.io", ".gitlab.io", ".pages.dev", ".netlify.app", ".vercel.app", "sites.google.com")
_PROJECT_CONTEXT = re.compile(r"(project|home)\s*-?\s*page|website|web\s*page|homepage|demo", re.IGNORECASE)
_CODE_CONTEXT = re.compile(r"\bcode|implementation|repositor|source code|github", re.IGNORECASE)


def _trim(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from the end of a link."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].lower().removeprefix("www.")


def _kind_by_host(url: str) -> str | None:
    host = _host(url)
    if host in _CODE_HOSTS or host.endswith(".github.com"):
        return "code"
    if host.endswith(_PAGE_HOSTS):
        return "project"
    return None


def classify(url: str, context: str = "") -> str:
    """``code``, ``project`` or ``other`` for a link, given the words just before it."""
    kind = _kind_by_host(url)
    if kind is not None:
        return kind
    if _PROJECT_CONTEXT.search(context):
        return "project"
    if _CODE_CONTEXT.search(context):
        return "code"
    return "other"


_HOST_ENDS = {host[-2] for host in _BARE_HOSTS}


def _links(text: str) -> list[tuple[int, str]]:
    """``(offset, raw link)`` for every link in ``text``, in order.

    Every link has a ``/`` (``https://…``, ``github.com/…``, ``www.x.org/…``), so the scan walks the
    slashes (a one-character search runs at memchr speed; multi-character ones are ten times slower)
    and looks just before each for a scheme or a well-known host.
    """
    found: list[tuple[int, str]] = []
    end = 0
    pos = text.find("/")
    while pos != -1:
        start = -1
        before = text[pos - 1] if pos else ""
        if pos >= end and (before == ":" or before.isalnum()):  # "https:/", "github.com/", "x.org/"
            if before == ":":
                if _at(text, "//", pos):
                    scheme = 6 if _at(text, "https", pos - 6) else 5
                    if _at(text, "http", pos - scheme):
                        start = pos - scheme
            else:
                host = None
                if before in _HOST_ENDS:
                    host = next((h for h in _BARE_HOSTS if _at(text, h, pos - len(h) + 1)), None)
                if host is not None:
                    start = pos - len(host) + 1
                else:
                    dot = text.rfind("www.", max(0, pos - 80), pos)
                    if dot != -1 and not _has_space(text, dot, pos):
                        start = dot
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "./@-_:"):
                start = -1  # part of a longer host or an e-mail address (x.github.com/, a@b.org/)
        if start != -1:
            body = _BODY.match(text, start)
            if body is not None:
                found.append((start, body.group()))
                end = body.end()
        pos = text.find("/", max(pos + 1, end))
    return found


def _at(text: str, part: str, index: int) -> bool:
    return index >= 0 and text.startswith(part, index)


def _has_space(text: str, start: int, stop: int) -> bool:
    return any(c.isspace() for c in text[start:stop])


def find_urls(text: str) -> dict[str, list[str]]:
    """The links in ``text`` sorted by kind, in order of appearance, without repeats.

    A link is recognised by its scheme (``https://…``), or without one on a well-known code host or
    after ``www.`` when it has a path (``github.com/x/y``, ``www.x.org/page``); it gets ``https://``.
    """
    urls: dict[str, list[str]] = {"code": [], "project": [], "other": []}
    if "/" not in text:
        return urls  # the common case, settled by one fast scan
    seen: set[str] = set()
    for start, raw in _links(text):
        url = _trim(raw)
        if "://" not in url:
            url = "https://" + url
        if len(url) <= len("https://") + 3 or url in seen:
            continue
        seen.add(url)
        kind = _kind_by_host(url)
        if kind is None:
            # Only the words of the clause just before the link say what it is.
            kind = classify(url, _CLAUSE_END.split(text[max(0, start - 60) : start])[-1])
        urls[kind].append(url)
    return urls


def add_url(urls: dict[str, list[str]], kind: str, url: str | None) -> None:
    """Append ``url`` to ``urls[kind]`` unless it is already listed (under any kind)."""
    if not url or not isinstance(url, str):
        return
    url = url.strip()
    if not url:
        return
    if "://" not in url:
        url = "https://" + url
    if any(url.rstrip("/") == known.rstrip("/") for links in urls.values() for known in links):
        return
    urls[kind].append(url)

"""A realistic, reproducible large .bib file for benchmarks: ``generate_bib(n_entries, seed) -> str``.

Shaped like a researcher's accumulated library (Zotero/Better BibTeX export plus hand edits): about
1,400 characters an entry — five authors (some with accents written as LaTeX macros, some in UTF-8
beyond Latin-1, like ``Łukasz``), a title with brace-protected words, a ~1,000-character abstract,
journal/booktitle (sometimes an @string macro), ``month = jun`` macros, DOIs on most entries, arXiv
eprints on the preprints, and @string lines, ``%`` comment lines and an @comment block sprinkled in.

Other benchmarks reuse it: ``sys.path.insert(0, "bench"); from genbib import generate_bib``.
"""

from __future__ import annotations

import random

_FAMILY = (
    "Smith Johnson Chen Wang Li Zhang Liu Kumar Singh Garcia Martinez Brown Davis Miller Wilson Moore "
    "Taylor Anderson Thomas Jackson White Harris Martin Thompson Nguyen Kim Park Lee Yang Huang Zhao Wu "
    "Zhou Xu Sun Ma Hu Guo Lin Rossi Bianchi Dubois Lefebvre Schmidt Schneider Fischer Weber Wagner "
    "Becker Hoffmann Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Ivanov "
    "Petrov Novak Kowalski Silva Santos Oliveira Pereira Costa"
).split()
# Names as users' files really hold them: LaTeX accent macros (nested braces) and raw UTF-8.
_FAMILY_SPECIAL = (
    'M{\\"u}ller',
    'G{\\"o}del',
    "Erd{\\H{o}}s",
    'Sch{\\"o}lkopf',
    "Müller",
    "Łukasiewicz",
    "Dvořák",
    "Björk",
    "van der Berg",
    "{de la Cruz}",
)
_GIVEN = (
    "James Mary John Wei Jing Yan Li Ravi Priya Carlos Ana Luca Marco Sophie Pierre Hans Anna Yuki Hiroshi "
    "Min-jun Ji-woo Olga Ivan Jan Piotr João Maria Ahmed Fatima David Sarah Michael Emily Daniel Laura "
    "Łukasz Zoë René Jürgen"
).split()
_WORDS = (
    "learning model models language large neural network networks deep training data dataset benchmark "
    "evaluation reasoning agents agent vision transformer transformers attention diffusion generation "
    "policy reinforcement optimization scaling efficient robust alignment retrieval augmented multimodal "
    "video image text speech graph knowledge inference fine-tuning pretraining representation latent "
    "sparse mixture experts token tokens context long memory planning control embodied robot synthesis "
    "adaptive contrastive self-supervised zero-shot few-shot instruction preference reward human feedback "
    "the of and for with in on via to a an from towards beyond without using through under"
).split()
_PROTECTED = (
    "{GPT}-4",
    "{LoRA}",
    "{BERT}",
    "{CLIP}",
    "{LLaMA}",
    "{ImageNet}",
    "{RL}",
    "{3D}",
    "{MoE}",
    "{ViT}",
    "{Q}-learning",
    "{Bayesian}",
    '{M{\\"o}bius}',
)
_VENUES = (
    "Advances in Neural Information Processing Systems",
    "International Conference on Machine Learning",
    "International Conference on Learning Representations",
    "Proceedings of the {IEEE/CVF} Conference on Computer Vision and Pattern Recognition",
    "Annual Meeting of the Association for Computational Linguistics",
)
_JOURNALS = (
    "Nature",
    "Science",
    "Journal of Artificial Intelligence Research",
    "{IEEE} Transactions on Pattern Analysis and Machine Intelligence",
    "Transactions on Machine Learning Research",
)
_MACROS = {
    "jmlr": "Journal of Machine Learning Research",
    "tacl": "Transactions of the Association for Computational Linguistics",
    "pami": "{IEEE} Transactions on Pattern Analysis and Machine Intelligence",
}
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_CATEGORIES = ("cs.CL", "cs.LG", "cs.CV", "cs.AI", "stat.ML", "cs.RO")


def _author(rng: random.Random) -> tuple[str, str]:
    family = rng.choice(_FAMILY_SPECIAL) if rng.random() < 0.08 else rng.choice(_FAMILY)
    return family, rng.choice(_GIVEN)


def _title(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 13))]
    if rng.random() < 0.5:
        words[rng.randrange(len(words))] = rng.choice(_PROTECTED)
    words[0] = words[0][:1].upper() + words[0][1:]
    if rng.random() < 0.3:
        words.insert(rng.randint(2, 4), "and")
        words[rng.randint(0, 1)] += ":"
    return " ".join(words)


def _abstract(rng: random.Random) -> str:
    sentences = []
    length = 0
    target = rng.randint(760, 960)
    while length < target:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 24))]
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), f"${rng.choice('ABCDEFGHNkn')}^{{{rng.randint(2, 9)}}}$")
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), f"{rng.randint(2, 99)}\\%")
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), rng.choice(_PROTECTED))
        sentence = " ".join(words)
        sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        length += len(sentence) + 2
    text = " ".join(sentences)
    # Some exports hard-wrap long fields; most keep them on one line.
    if rng.random() < 0.2:
        out, line = [], []
        for word in text.split(" "):
            line.append(word)
            if sum(len(w) + 1 for w in line) > 76:
                out.append(" ".join(line))
                line = []
        out.append(" ".join(line))
        text = "\n    ".join(out)
    return text


def _key(family: str, year: int, title: str, taken: set[str]) -> str:
    stem = "".join(ch for ch in family.lower() if ch.isascii() and ch.isalpha())
    word = next((w for w in title.lower().split() if len(w) > 3 and w.isalpha()), "paper")
    key = f"{stem or 'anon'}{year}{word}"
    base, n = key, 0
    while key.lower() in taken:
        n += 1
        key = base + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * (1 + (n - 1) // 26)
    taken.add(key.lower())
    return key


def _entry(rng: random.Random, taken: set[str], index: int) -> str:
    authors = [_author(rng) for _ in range(5)]
    title = _title(rng)
    year = rng.randint(1995, 2026)
    key = _key(authors[0][0], year, title, taken)
    kind = rng.random()
    fields: list[tuple[str, str]] = [("title", "{" + title + "}")]
    if rng.random() < 0.85:
        author = " and ".join(f"{family}, {given}" for family, given in authors)
    else:
        author = " and ".join(f"{given} {family}" for family, given in authors)
    fields.append(("author", "{" + author + "}"))
    if kind < 0.35:
        entry_type = "article"
        journal = rng.choice(list(_MACROS)) if rng.random() < 0.3 else "{" + rng.choice(_JOURNALS) + "}"
        first = rng.randint(1, 900)
        fields += [
            ("journal", journal),
            ("volume", f"{{{rng.randint(1, 60)}}}"),
            ("number", f"{{{rng.randint(1, 12)}}}"),
            ("pages", f"{{{first}--{first + rng.randint(5, 30)}}}"),
        ]
    elif kind < 0.6:
        entry_type = "inproceedings"
        first = rng.randint(1, 9000)
        fields += [
            ("booktitle", "{" + rng.choice(_VENUES) + "}"),
            ("pages", f"{{{first}--{first + rng.randint(5, 15)}}}"),
        ]
    elif kind < 0.95:
        entry_type = "misc"
        arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 29999):05d}"
        fields += [
            ("eprint", "{" + arxiv + "}"),
            ("archivePrefix", "{arXiv}"),
            ("primaryClass", "{" + rng.choice(_CATEGORIES) + "}"),
            ("url", "{https://arxiv.org/abs/" + arxiv + "}"),
        ]
        if rng.random() < 0.5:
            fields.append(("doi", "{10.48550/arXiv." + arxiv + "}"))
    else:
        entry_type = "online"
        fields += [
            ("url", f"{{https://example.org/posts/{index}}}"),
            ("urldate", f"{{2025-01-{rng.randint(1, 28):02d}}}"),
        ]
    # Some hand-written entries use bare numbers or quotes, as users' files do.
    style = rng.random()
    fields.append(("year", str(year) if style < 0.3 else (f'"{year}"' if style < 0.4 else f"{{{year}}}")))
    if rng.random() < 0.4:
        fields.append(("month", rng.choice(_MONTHS)))
    if entry_type in ("article", "inproceedings") and rng.random() < 0.8:
        prefix, series = rng.randint(1000, 9999), rng.choice(["j", "acl", "nips"])
        fields.append(("doi", f"{{10.{prefix}/{series}.{year}.{rng.randint(1, 99999)}}}"))
    fields.append(("abstract", "{" + _abstract(rng) + "}"))
    if rng.random() < 0.5:
        fields.append(("keywords", "{" + ", ".join(rng.sample(_WORDS[:60], 4)) + "}"))
    if rng.random() < 0.2:
        folder = f"{rng.getrandbits(32):08X}"
        path = f"/home/user/Zotero/storage/{folder}/paper.pdf"
        fields.append(("file", f"{{Full Text PDF:{path}:application/pdf}}"))
    if rng.random() < 0.1:
        fields.append(("note", '"Accepted at the ' + rng.choice(["workshop", "main conference"]) + '"'))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {value}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def generate_bib(n_entries: int, seed: int = 0) -> str:
    """``n_entries`` entries (plus a few @string/@comment/% lines) as one .bib text; same seed, same text."""
    rng = random.Random(seed)
    taken: set[str] = set()
    parts = ["% Encoding: UTF-8\n% Exported by a reference manager, then edited by hand.\n\n"]
    parts += [f"@string{{{name} = {{{value}}}}}\n" for name, value in _MACROS.items()]
    parts.append("\n")
    for index in range(n_entries):
        if index and index % 500 == 0:
            parts.append(f"\n% ---- section {index // 500} ----\n\n")
        if index and index % 2000 == 0:
            parts.append(f'@string{{venue{index} = "Workshop number {index}"}}\n\n')
        parts.append(_entry(rng, taken, index))
        parts.append("\n")
    parts.append("@comment{jabref-meta: databaseType:bibtex;}\n")
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover - manual use: python bench/genbib.py 20000 > big.bib
    import sys

    sys.stdout.write(
        generate_bib(
            int(sys.argv[1]) if len(sys.argv) > 1 else 1000, int(sys.argv[2]) if len(sys.argv) > 2 else 0
        )
    )

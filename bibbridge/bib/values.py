"""Values as bibtexparser 1.4.4 gives them: macros expanded, '#' parts joined, lines and tabs cleaned."""

from __future__ import annotations

# bibtexparser 1.4's default parser predefines these (BibDatabase.load_common_strings).
_MONTHS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}


def _strip_after_new_lines(value: str) -> str:
    # bibtexparser's own clean-up of field values: lines joined by "\n", all but the first left-stripped.
    lines = value.splitlines()
    if len(lines) > 1:
        lines = [lines[0]] + [line.lstrip() for line in lines[1:]]
    return "\n".join(lines)


class _Values:
    """The value steps of :class:`~bibbridge.bib.reader._Reader` that both its paths share."""

    def field_values(self, pairs: list[tuple[str, list[tuple[int, str]]]], pos: int) -> dict[str, str]:
        # bibtexparser: {name: value for name, value in reversed(fields)}, then names lower-cased in that
        # dict's order -- so for repeats the first spelling wins, except between case variants.
        exact: dict[str, list[tuple[int, str]]] = {name: parts for name, parts in reversed(pairs)}
        chosen: dict[str, list[tuple[int, str]]] = {}
        for name, parts in exact.items():
            chosen[name.lower()] = parts
        wanted = self.wanted
        fields: dict[str, str] = {}
        for name, _ in pairs:  # source order
            name = name.lower()
            if name not in fields and (wanted is None or name in wanted):
                fields[name] = self.join(chosen[name], pos)  # pos: where macro warnings point
        return fields

    def join(
        self, parts: list[tuple[int, str]], pos: int, strip_lines: bool = True, clean: bool = True
    ) -> str:
        """A value from its parts, as bibtexparser's field_to_pair + _clean_val (or @string) make it."""
        out = []
        for start, raw in parts:
            if start < 0:
                out.append(self.expand(raw, pos))
                continue
            if "\t" in raw:
                raw = self.expand_tabs(start, raw)
            out.append(_strip_after_new_lines(raw) if strip_lines else raw)
        if clean and len(parts) == 1 and parts[0][0] >= 0 and out[0] == "{}":
            return ""
        return "".join(out)

    def expand(self, name: str, pos: int) -> str:
        value = self.macros.get(name.lower())
        if value is None and name.isdigit():
            self.warn(
                pos,
                f"bare number {name} in a '#' concatenation or @string: BibTeX reads it, "
                "bibtexparser 1.4 fails on it; write {" + name + "}",
            )
            return name
        if value is None:
            # bibtexparser raises UndefinedString and reads nothing; BibTeX warns and uses "".
            self.warn(pos, f"undefined @string macro '{name}' (read as empty)")
            return ""
        return value

    def expand_tabs(self, start: int, raw: str) -> str:
        # pyparsing expands tabs (to columns of 8) in the whole input before parsing.
        line_start = max(self.text.rfind("\n", 0, start), self.text.rfind("\r", 0, start)) + 1
        column = len(self.text[line_start:start].expandtabs()) % 8
        return (" " * column + raw).expandtabs()[column:]

    def other_value(self, other: str, pos: int) -> str | None:
        """A value _VALUE_CAPTURED gives whole (braced over several lines, quoted, a number or a macro) as
        bibtexparser gives it; None when the careful path must read it. text_value does bibtexparser's
        "{}" → "" itself; a macro's value is kept as it is."""
        return self.text_value(other[1:-1]) if other[0] == "{" else self.bare_value(other, pos)

    @staticmethod
    def text_value(value: str) -> str | None:
        """A braced or quoted value's text as bibtexparser gives it (None: tabs, for the careful path)."""
        if not value.isprintable():  # line breaks are unprintable
            if "\t" in value:
                return None
            value = _strip_after_new_lines(value)
        return "" if value == "{}" else value

    def bare_value(self, value: str, pos: int) -> str | None:
        """A quoted value, number or macro, as bibtexparser gives it."""
        first = value[0]
        if first == '"':
            return self.text_value(value[1:-1])
        return value if "0" <= first <= "9" else self.expand(value, pos)

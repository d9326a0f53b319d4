"""ANSI escapes in log lines: SGR colours and bold/italic/underline become CSS classes; every other
escape sequence and control character (but tab) goes. What comes out is plain text, for the page to
insert as text, never as HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every escape sequence: CSI (7- and 8-bit), OSC and the other strings up to their terminator, and the
# short ones (charset designations, ESC 7...). Only SGR (CSI ... m) means something to a reader.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)([0-?]*)([ -/]*)([@-~])"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x1b"
)
# Control characters but tab (a carriage return in a progress bar, a bell, a backspace...).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


@dataclass
class _Style:
    fg: int | None = None
    bg: int | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False

    def classes(self) -> str:
        names = []
        if self.fg is not None:
            names.append(f"ansi-fg-{self.fg}")
        if self.bg is not None:
            names.append(f"ansi-bg-{self.bg}")
        names += [name for name, on in (("ansi-bold", self.bold), ("ansi-italic", self.italic)) if on]
        if self.underline:
            names.append("ansi-underline")
        return " ".join(names)

    def apply(self, params: str) -> None:
        """One SGR sequence's parameters (``1;31``; empty means reset, as does 0)."""
        codes = [int(code) if code.isdigit() else 0 for code in re.split(r"[;:]", params)]
        index = 0
        while index < len(codes):
            code = codes[index]
            index += 1
            if code == 0:
                self.__init__()
            elif code in (1, 3, 4):
                setattr(self, {1: "bold", 3: "italic", 4: "underline"}[code], True)
            elif code in (22, 23, 24):
                setattr(self, {22: "bold", 23: "italic", 24: "underline"}[code], False)
            elif 30 <= code <= 37 or 90 <= code <= 97:
                self.fg = code - 30 if code < 90 else code - 82
            elif 40 <= code <= 47 or 100 <= code <= 107:
                self.bg = code - 40 if code < 100 else code - 92
            elif code in (39, 49):
                setattr(self, "fg" if code == 39 else "bg", None)
            elif code in (38, 48):
                # 38;5;n picks one of 256 colours (the first 16 are the classes'), 38;2;r;g;b any colour:
                # beyond the 16 the page's palette has no class, so the text keeps its default.
                mode = codes[index] if index < len(codes) else 0
                colour = codes[index + 1] if mode == 5 and index + 1 < len(codes) else None
                index += 2 if mode == 5 else 4 if mode == 2 else 1
                setattr(self, "fg" if code == 38 else "bg", colour if colour is not None and colour < 16 else None)


def ansi_parts(text: str) -> list[list[str]]:
    """The text as [classes, text] parts: SGR colours and bold/italic/underline become classes, every
    other escape sequence and control character (but tab) goes. The parts are plain text, for the
    page to insert as text (never as HTML)."""
    if "\x1b" not in text and not _CONTROL.search(text):  # most lines: one plain part, found fast
        return [["", text]] if text else []
    parts: list[list[str]] = []
    style = _Style()

    def add(chunk: str) -> None:
        chunk = _CONTROL.sub("", chunk)
        if not chunk:
            return
        classes = style.classes()
        if parts and parts[-1][0] == classes:
            parts[-1][1] += chunk
        else:
            parts.append([classes, chunk])

    position = 0
    for escape in _ESCAPE.finditer(text):
        add(text[position : escape.start()])
        position = escape.end()
        params, intermediates, final = escape.group(1, 2, 3)
        if final == "m" and not intermediates and not params.startswith(("<", "=", ">", "?")):
            style.apply(params)
    add(text[position:])
    return parts


def ansi_strip(text: str) -> str:
    """The text alone, as a downloaded file holds it."""
    return "".join(part for _classes, part in ansi_parts(text))

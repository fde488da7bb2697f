"""Mastodon's status `content` (sanitized HTML) turned into the plain text the author wrote."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "blockquote", "pre", "ul", "ol", "li"})


class _PlainText(HTMLParser):
    """Collects text; `<br>` is a line break, paragraphs are separated by a blank line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open_blocks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Start a paragraph or break a line."""
        del attrs
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS and "".join(self.parts).strip():
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Treat `<br />` like `<br>`."""
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        """Keep text, including the `invisible` parts of shortened links (the full URL)."""
        self.parts.append(data)


def html_to_text(content: str) -> str:
    """Return the plain text of a status: tags stripped, entities unescaped, lines kept."""
    parser = _PlainText()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()

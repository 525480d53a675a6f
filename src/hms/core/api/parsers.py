import codecs
import io

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 rather than 500 to JSON nested deeper than
    Python's recursion limit (a few kilobytes of "[[[[" are enough), and reading a
    body that starts with a UTF-8 byte order mark, as most exported files do
    (RFC 8259 section 8.1 lets a parser ignore it)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        body = body.removeprefix(codecs.BOM_UTF8)
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc

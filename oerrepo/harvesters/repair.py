"""Reading what partner servers really send: decompression, encodings and broken XML.

Real OAI-PMH servers send gzip bodies nobody asked for, Latin-1 bytes in documents
that claim UTF-8, control characters and bare ``&`` in text. :func:`parse_xml` repairs
what can be repaired, says what it repaired, and parses with a parser that never
resolves external entities, never touches the network and never expands entities, and
keeps libxml2's limits on what one page may make us hold (refusing, and saying, what exceeds them).
"""

from __future__ import annotations

import codecs
import html.entities
import re
import zlib
from dataclasses import dataclass, field

from lxml import etree

from ..errors import HarvestError

__all__ = ["ParsedXML", "parse_xml", "decompress", "decode", "repair_text", "MAX_BODY"]

# What a partner can make us hold in memory is bounded. An OAI-PMH page larger than this
# (after decompression) is refused: real pages of a few hundred records weigh a few MB,
# and the parsed tree takes several times the text.
MAX_BODY = 64 * 1024 * 1024
# libxml2's own limits stay on (no huge_tree): a text node of at most this many bytes,
# elements nested at most 256 deep. A longer text is cut to its first _KEPT_OF_HUGE bytes
# before parsing (more than a record keeps of any text; the rest of the page is kept) and
# the harvest report says where; deeper nesting or a giant attribute refuses the page.
MAX_TEXT = 10_000_000
_KEPT_OF_HUGE = 200_000
_LIMITS_HIT = ("Resource limit exceeded", "XML_PARSE_HUGE", "Excessive depth")
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False)
_HUGE_TEXT = re.compile(rb"(?<=>)[^<]{%d,}" % (MAX_TEXT + 1))
_OPEN_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)[^<>]*>$")


def _parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(recover=recover, remove_blank_text=False, **_PARSER_OPTIONS)


_STRICT = _parser()
_RECOVERING = _parser(recover=True)

_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.S | re.I)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.S)
# Characters XML 1.0 forbids, and character references to them.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BAD_CHAR_REFS = re.compile(
    r"&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01])|[xX]0*(?:[0-8]|[bBcC]|1[0-9a-fA-F]));"
)
# '&' that does not start a well-formed reference.
_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_NAMED_REF = re.compile(r"&([A-Za-z_][A-Za-z0-9._-]*);")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


@dataclass
class ParsedXML:
    """A parsed response and the repairs it needed (empty when it was clean)."""

    root: etree._Element
    repairs: list[str] = field(default_factory=list)


def decompress(body: bytes, repairs: list[str]) -> bytes:
    """Undo gzip or zlib/deflate compression a server applied without saying so."""
    if body[:2] == b"\x1f\x8b":
        try:
            out = _bounded(zlib.decompressobj(16 + zlib.MAX_WBITS), body)
        except (zlib.error, EOFError, OSError) as exc:
            raise HarvestError(f"the server sent a damaged gzip body ({exc}); try again later") from exc
        repairs.append("decompressed a gzip body the server sent without Content-Encoding")
        return out
    if len(body) > 2 and body[0] == 0x78 and (body[0] * 256 + body[1]) % 31 == 0:
        try:
            out = _bounded(zlib.decompressobj(), body)
        except zlib.error:
            return body
        repairs.append("decompressed a deflate (zlib) body the server sent without Content-Encoding")
        return out
    stripped = body.lstrip()
    if stripped and stripped[:1] != b"<" and body[:3] != codecs.BOM_UTF8 and body[:2] not in (
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
    ):
        try:  # raw deflate has no header to recognise it by
            out = _bounded(zlib.decompressobj(-zlib.MAX_WBITS), body)
        except zlib.error:
            return body
        if out.lstrip()[:1] == b"<":
            repairs.append("decompressed a raw deflate body the server sent without Content-Encoding")
            return out
    return body


def _bounded(decompressor, body: bytes) -> bytes:
    out = decompressor.decompress(body, MAX_BODY)
    if decompressor.unconsumed_tail:
        raise HarvestError(f"a compressed response expands beyond {MAX_BODY // 2**20} MB; refusing it")
    return out


def _cp1252_fallback(err: UnicodeDecodeError):
    # Invalid UTF-8 bytes are almost always Windows-1252 / Latin-1 text in a UTF-8 document.
    chunk = err.object[err.start : err.end]
    return chunk.decode("cp1252", errors="replace"), err.end


codecs.register_error("oerrepo-cp1252", _cp1252_fallback)


def decode(body: bytes, repairs: list[str], content_type: str | None = None) -> str:
    """Decode a response body to text: BOM, XML declaration, HTTP charset, then UTF-8 with a fallback."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            repairs.append(f"removed a byte-order mark ({encoding})")
            body = body[len(bom) :]
            if encoding != "utf-8":
                return body.decode(encoding, errors="replace")
            break
    declared = _DECLARED_ENCODING.match(body)
    encoding = declared.group(1).decode("ascii").lower() if declared else None
    if encoding is None and content_type:
        m = re.search(r"charset=[\"']?([A-Za-z0-9._:-]+)", content_type)
        encoding = m.group(1).lower() if m else None
    if encoding and encoding.replace("_", "-") not in ("utf-8", "utf8"):
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            repairs.append(f"unknown declared encoding {encoding!r}; read the body as UTF-8")
        else:
            if codec.name in ("latin-1", "iso8859-1", "iso8859-15", "cp1252"):
                # What servers label ISO-8859-1 is, in practice, Windows-1252.
                codec = codecs.lookup("cp1252")
            repairs.append(f"read a {encoding} document and re-encoded it as UTF-8")
            return body.decode(codec.name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="oerrepo-cp1252")
        bad = _count_invalid_utf8(body)
        repairs.append(f"{bad} byte sequence(s) that are not UTF-8 were read as Windows-1252")
        return text


def _count_invalid_utf8(body: bytes) -> int:
    count = 0
    start = 0
    while True:
        try:
            body[start:].decode("utf-8")
            return count
        except UnicodeDecodeError as err:
            count += 1
            start += err.end


def repair_text(text: str, repairs: list[str]) -> str:
    """Fix forbidden characters and stray ``&`` in XML text; undeclared HTML entities become characters."""
    text = _DECLARATION.sub("", text, count=1)
    n_refs = len(_BAD_CHAR_REFS.findall(text))
    n_chars = len(_BAD_CHARS.findall(text))
    if n_refs or n_chars:
        text = _BAD_CHAR_REFS.sub("", text)
        text = _BAD_CHARS.sub("", text)
        repairs.append(f"removed {n_refs + n_chars} character(s) XML does not allow")
    n_amp = len(_AMPERSAND.findall(text))
    if n_amp:
        text = _AMPERSAND.sub("&amp;", text)
        repairs.append(f"escaped {n_amp} bare '&'")
    undeclared = [m for m in _NAMED_REF.finditer(text) if m.group(1) not in _XML_ENTITIES]
    if undeclared:
        def replace(m: re.Match) -> str:
            name = m.group(1)
            if name in _XML_ENTITIES:
                return m.group(0)
            code = html.entities.name2codepoint.get(name)
            return f"&#{code};" if code else f"&amp;{name};"

        text = _NAMED_REF.sub(replace, text)
        names = sorted({m.group(1) for m in undeclared})
        repairs.append(f"replaced {len(undeclared)} undeclared entity reference(s) ({', '.join(names[:5])})")
    return text


def _drop_huge_texts(body: bytes, repairs: list[str], error: str) -> bytes:
    """The page with its texts longer than MAX_TEXT cut short, each cut said in ``repairs``."""
    parts, start = [], 0
    for m in _HUGE_TEXT.finditer(body):
        opened = _OPEN_TAG.search(body, max(0, m.start() - 1000), m.start())
        where = f"<{opened.group(1).decode('utf-8', 'replace')}>" if opened else "an element"
        repairs.append(f"cut a text of {len(m.group()) / 1e6:.1f} MB in {where} to its first "
                       f"{_KEPT_OF_HUGE / 1e6:.1f} MB before reading the page (texts are limited to "
                       f"{MAX_TEXT / 1e6:.0f} MB)")
        parts.append(body[start:m.start() + _safe_cut(m.group())])
        start = m.end()
    if not parts:
        raise HarvestError(_refusal(error), code="tooLarge")
    return b"".join(parts) + body[start:]


def _safe_cut(text: bytes) -> int:
    """Where to cut a text near _KEPT_OF_HUGE bytes without splitting a character or a reference."""
    cut = _KEPT_OF_HUGE
    while cut and 0x80 <= text[cut] < 0xC0:  # inside a UTF-8 sequence
        cut -= 1
    amp = text.rfind(b"&", max(0, cut - 12), cut)
    return amp if amp >= 0 and b";" not in text[amp:cut] else cut


def _refusal(error: str) -> str:
    what = "elements nested deeper than 256 levels" if "depth" in error else "a name, attribute or text too large"
    return (f"the page holds {what} ({error.splitlines()[0]}); refused, as what a partner's page may make us "
            "hold in memory is bounded. Ask the partner to fix the record, or harvest the others with a set")


def parse_xml(body: bytes, content_type: str | None = None) -> ParsedXML:
    """Parse a response body safely, repairing it when it is not well-formed.

    The clean path parses the bytes as they are. Only when that fails is the body
    decoded, repaired and parsed again; as a last resort libxml2's recovery mode keeps
    what it can and the repair list says so. Raises HarvestError when nothing usable is left.
    """
    repairs: list[str] = []
    body = decompress(body, repairs)
    if len(body) > MAX_BODY:
        raise HarvestError(f"a response of {len(body) // 2**20} MB is larger than the {MAX_BODY // 2**20} MB accepted")
    head = body[:4096]
    if b"<!DOCTYPE" in head or b"<!doctype" in head:
        body, n = _DOCTYPE.subn(b"", body, count=1)
        if n:
            repairs.append("removed a DOCTYPE declaration (its entities are never expanded)")
    try:
        return ParsedXML(etree.fromstring(body, _STRICT), repairs)
    except etree.XMLSyntaxError as exc:
        first_error = str(exc)
    if any(hit in first_error for hit in _LIMITS_HIT):
        body = _drop_huge_texts(body, repairs, first_error)
        try:
            return ParsedXML(etree.fromstring(body, _STRICT), repairs)
        except etree.XMLSyntaxError as exc:
            first_error = str(exc)
            if any(hit in first_error for hit in _LIMITS_HIT):
                raise HarvestError(_refusal(first_error), code="tooLarge") from exc
    text = repair_text(decode(body, repairs, content_type), repairs)
    data = text.encode("utf-8")
    try:
        return ParsedXML(etree.fromstring(data, _STRICT), repairs)
    except etree.XMLSyntaxError as exc:
        second_error = str(exc)
    try:
        root = etree.fromstring(data, _RECOVERING)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise HarvestError(f"the response is not XML and could not be repaired: {first_error}")
    repairs.append(f"the XML stayed broken after repair ({second_error}); kept what the recovering parser could read")
    return ParsedXML(root, repairs)

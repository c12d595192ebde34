"""A small OAI-PMH partner on 127.0.0.1 that serves generated records and misbehaves on demand.

It imitates what real servers do wrong (see tests/data/harvest/README.md): HTTP 503
with Retry-After, 429, connection resets, slow answers, HTML pages, OAI errors with
HTTP 422 or without an envelope, broken encodings and characters, compressed bodies
nobody asked for, odd datestamps, empty pages, looping and expiring resumption tokens.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

OAI = "http://www.openarchives.org/OAI/2.0/"


@dataclass
class Rec:
    """One record the partner serves (``xml`` is its metadata payload, already rendered)."""

    identifier: str
    datestamp: str
    xml: str = ""
    sets: tuple[str, ...] = ()
    deleted: bool = False
    raw_datestamp: str | None = None  # what the header shows, when it differs (offsets, fractions)


def dc(title: str, *, creators=(), rights=(), language: str | None = "en", description: str | None = None,
       identifiers=(), subjects=(), types=(), title_lang: str | None = None) -> str:
    """An oai_dc payload."""
    parts = [f"<dc:title{f' xml:lang={chr(34)}{title_lang}{chr(34)}' if title_lang else ''}>{escape(title)}</dc:title>"]
    parts += [f"<dc:creator>{escape(c)}</dc:creator>" for c in creators]
    parts += [f"<dc:subject>{escape(s)}</dc:subject>" for s in subjects]
    if description is not None:
        parts.append(f"<dc:description>{escape(description)}</dc:description>")
    parts += [f"<dc:type>{escape(t)}</dc:type>" for t in types]
    parts += [f"<dc:identifier>{escape(i)}</dc:identifier>" for i in identifiers]
    if language:
        parts.append(f"<dc:language>{language}</dc:language>")
    parts += [f"<dc:rights>{escape(r)}</dc:rights>" for r in rights]
    return (
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">' + "".join(parts) + "</oai_dc:dc>"
    )


def simple_records(n: int, *, prefix: str = "oai:partner.test:", start: int = 1, stamp: str = "2024-01-01T00:00:00Z",
                   license: str = "https://creativecommons.org/licenses/by/4.0/") -> list[Rec]:
    return [
        Rec(f"{prefix}{i}", stamp, dc(f"Blueprint number {i}", creators=[f"Teacher {i}"], rights=[license],
                                       identifiers=[f"https://partner.test/item/{i}"]))
        for i in range(start, start + n)
    ]


@dataclass
class Fault:
    kind: str
    verb: str | None = "ListRecords"  # which requests it hits (None: any)
    times: int = 1
    options: dict = field(default_factory=dict)


class Partner:
    """The server. Use as a context manager; ``url`` is its base URL."""

    def __init__(self, records: list[Rec] | None = None, *, page_size: int = 10, day_granularity: bool = False,
                 formats: tuple[str, ...] = ("oai_dc",), final_token: str = "absent", no_match: str = "error",
                 sets: tuple[tuple[str, str], ...] = ()):
        self.records = list(records or [])
        self.page_size = page_size
        self.day = day_granularity
        self.formats = formats
        self.final_token = final_token  # "absent" or "empty" (an empty <resumptionToken/>)
        self.no_match = no_match  # "error" (noRecordsMatch) or "empty" (an empty <ListRecords/>)
        self.sets = sets
        self.faults: list[Fault] = []
        self.requests: list[dict[str, str]] = []
        self.agents: list[str] = []
        self.epoch = 1  # tokens of an older epoch are "expired"
        self.response_date = "2024-06-01T12:00:00Z"
        self.lock = threading.Lock()
        self.on_request: Callable[[dict[str, str]], Any] | None = None  # called with each request's arguments
        self._server: ThreadingHTTPServer | None = None

    # -- control --------------------------------------------------------------------

    def fault(self, kind: str, *, verb: str | None = "ListRecords", times: int = 1, **options: Any) -> None:
        self.faults.append(Fault(kind, verb, times, options))

    def expire_tokens(self) -> None:
        self.epoch += 1

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/oai"

    def __enter__(self) -> Partner:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                partner._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # -- serving --------------------------------------------------------------------

    def _take_fault(self, verb: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.verb in (None, verb) and f.times > 0:
                    f.times -= 1
                    return f
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        args = dict(parse_qsl(urlsplit(h.path).query, keep_blank_values=True))
        with self.lock:
            self.requests.append(args)
            self.agents.append(h.headers.get("User-Agent", ""))
        if self.on_request is not None:
            self.on_request(args)
        verb = args.get("verb", "")
        fault = self._take_fault(verb)
        kind = fault.kind if fault else None
        opts = fault.options if fault else {}
        if kind == "reset":
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if kind == "slow":
            time.sleep(opts.get("seconds", 2.0))
        if kind == "wait":  # hold the answer until the test says so (or 10 s pass); record which
            opts.setdefault("waited", []).append("event" if opts["event"].wait(opts.get("seconds", 10.0)) else "timeout")
        if kind in ("503", "429"):
            headers = {}
            if opts.get("retry_after") == "date":
                headers["Retry-After"] = formatdate(time.time() + opts.get("seconds", 1), usegmt=True)
            elif opts.get("retry_after") is not None:
                headers["Retry-After"] = str(opts["retry_after"])
            return self._send(h, int(kind), b"<html><body>Slow down</body></html>", "text/html", headers)
        if kind == "500":
            return self._send(h, 500, b"Internal error", "text/plain")
        if kind == "html":
            return self._send(h, 200, b"<!DOCTYPE html><html><head><title>Welcome</title></head>"
                                      b"<body><p>Our new website!</p></body></html>", "text/html")
        if kind == "error422":
            code = opts.get("code", "badArgument")
            body = self._envelope(args, f'<error code="{code}">{escape(opts.get("text", ""))}</error>')
            return self._send(h, 422, body.encode(), "text/xml; charset=utf-8")
        if kind == "bare_error":
            code = opts.get("code", "badArgument")
            return self._send(h, 200, f'<error code="{code}">Malformed identifier</error>'.encode(), "text/xml")
        try:
            body = self._answer(verb, args, fault)
        except _OAIError as exc:
            body = self._envelope(args, f'<error code="{exc.code}">{escape(exc.text)}</error>')
        data = body.encode("utf-8")
        headers = {}
        content_type = "text/xml; charset=utf-8"
        if kind == "mangle":
            data, content_type, headers = opts["how"](data)
        self._send(h, 200, data, content_type, headers)

    def _send(self, h: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str,
              headers: dict | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _envelope(self, args: dict, inner: str) -> str:
        attrs = " ".join(f'{k}="{escape(v)}"' for k, v in sorted(args.items()) if k != "resumptionToken" or True)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<OAI-PMH xmlns="{OAI}"><responseDate>{self.response_date}</responseDate>'
            f"<request {attrs}>http://partner.test/oai</request>{inner}</OAI-PMH>"
        )

    def _answer(self, verb: str, args: dict, fault: Fault | None) -> str:
        if verb == "Identify":
            granularity = "YYYY-MM-DD" if self.day else "YYYY-MM-DDThh:mm:ssZ"
            return self._envelope(args, (
                "<Identify><repositoryName>Test partner</repositoryName><baseURL>http://partner.test/oai</baseURL>"
                "<protocolVersion>2.0</protocolVersion><adminEmail>admin@partner.test</adminEmail>"
                f"<earliestDatestamp>{'2000-01-01' if self.day else '2000-01-01T00:00:00Z'}</earliestDatestamp>"
                f"<deletedRecord>persistent</deletedRecord><granularity>{granularity}</granularity></Identify>"
            ))
        if verb == "ListMetadataFormats":
            known = {
                "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
                "lom": ("http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", "http://ltsc.ieee.org/xsd/LOM"),
                "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", "http://www.loc.gov/MARC21/slim"),
            }
            inner = "".join(
                f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{known[p][0]}</schema>"
                f"<metadataNamespace>{known[p][1]}</metadataNamespace></metadataFormat>" for p in self.formats
            )
            return self._envelope(args, f"<ListMetadataFormats>{inner}</ListMetadataFormats>")
        if verb == "ListSets":
            if not self.sets:
                raise _OAIError("noSetHierarchy", "no sets")
            inner = "".join(f"<set><setSpec>{s}</setSpec><setName>{n}</setName></set>" for s, n in self.sets)
            return self._envelope(args, f"<ListSets>{inner}</ListSets>")
        if verb != "ListRecords":
            raise _OAIError("badVerb", verb)
        if "resumptionToken" in args:
            try:
                epoch, offset, from_, set_spec = args["resumptionToken"].split("|")
                epoch_n, offset_n = int(epoch), int(offset)
            except ValueError:
                raise _OAIError("badResumptionToken", "unreadable token") from None
            if epoch_n != self.epoch:
                raise _OAIError("badResumptionToken", "token expired")
        else:
            if args.get("metadataPrefix") not in self.formats:
                raise _OAIError("cannotDisseminateFormat", args.get("metadataPrefix", ""))
            offset_n, from_, set_spec = 0, args.get("from", ""), args.get("set", "")
        selected = [r for r in self.records if (not from_ or r.datestamp[: len(from_)] >= from_)
                    and (not set_spec or set_spec in r.sets)]
        if not selected:
            if self.no_match == "empty":
                return self._envelope(args, "<ListRecords/>")
            raise _OAIError("noRecordsMatch", "")
        kind = fault.kind if fault else None
        chunk = selected[offset_n : offset_n + self.page_size]
        if kind == "empty_page":
            chunk = []
        items = []
        for r in chunk:
            sets = "".join(f"<setSpec>{s}</setSpec>" for s in r.sets)
            status = ' status="deleted"' if r.deleted else ""
            header = (f"<header{status}><identifier>{escape(r.identifier)}</identifier>"
                      f"<datestamp>{r.raw_datestamp or r.datestamp}</datestamp>{sets}</header>")
            items.append(f"<record>{header}" + ("" if r.deleted else f"<metadata>{r.xml}</metadata>") + "</record>")
        next_offset = offset_n + (len(chunk) if kind != "empty_page" else 0)
        if kind == "empty_page":
            next_offset = offset_n
        more = next_offset < len(selected)
        if kind == "repeat_token" and "resumptionToken" in args:
            token = f"<resumptionToken>{escape(args['resumptionToken'])}</resumptionToken>"
        elif more or kind == "empty_page":
            value = f"{self.epoch}|{next_offset}|{from_}|{set_spec}"
            token = f'<resumptionToken completeListSize="{len(selected)}" cursor="{offset_n}">{escape(value)}</resumptionToken>'
        elif self.final_token == "empty":
            token = f'<resumptionToken completeListSize="{len(selected)}" cursor="{offset_n}"/>'
        else:
            token = ""
        return self._envelope(args, "<ListRecords>" + "".join(items) + token + "</ListRecords>")


class _OAIError(Exception):
    def __init__(self, code: str, text: str):
        self.code, self.text = code, text


# Body manglers for Partner.fault("mangle", how=...): each returns (bytes, content type, headers).

def gzip_unasked(data: bytes):
    return gzip.compress(data), "text/xml", {}


def deflate_unasked(data: bytes):
    return zlib.compress(data), "text/xml", {}


def with_bom(data: bytes):
    return b"\xef\xbb\xbf" + data, "text/xml", {}


def as_latin1(data: bytes):
    text = data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    return text.encode("latin-1"), "text/xml; charset=ISO-8859-1", {}


def latin1_bytes_in_utf8(data: bytes):
    # One record's title written by a Latin-1 system into a UTF-8 document.
    return data.replace("Café".encode(), "Café".encode("latin-1")), "text/xml; charset=utf-8", {}


def control_chars(data: bytes):
    return data.replace(b"Blueprint", b"Blue\x0bprint\x01", 1).replace(b"number", b"num&#x1;ber", 1), "text/xml", {}


def bare_ampersand(data: bytes):
    return data.replace(b"Blueprint number", b"Sun & Moon blueprint number", 1).replace(
        b"Teacher", b"Teacher&nbsp;", 1), "text/xml", {}

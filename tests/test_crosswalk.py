"""Crosswalks from oai_dc, LOM (LRE profile), DataCite and MODS to our stored record."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import shared_path
from lxml import etree

from oerrepo.harvesters.crosswalk import first_license
from oerrepo.harvesters.datacite import read_datacite
from oerrepo.harvesters.lom import read_lom
from oerrepo.harvesters.mods import read_mods
from oerrepo.harvesters.oai_dc import read_oai_dc
from oerrepo.model import normalize_record

DATA = Path(__file__).parent / "data" / "harvest"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def stored(cw):
    record = dict(cw.record)
    lic, _ = first_license(cw.rights)
    if lic:
        record["license"] = lic.url
    return normalize_record(record, require_license=False)


def payloads(path: Path):
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    root = etree.fromstring(data)
    for record in root.iter(OAI + "record"):
        meta = record.find(OAI + "metadata")
        if meta is not None:
            yield record.findtext(f"{OAI}header/{OAI}identifier"), next(c for c in meta if isinstance(c.tag, str))


def test_lre_lom_record_carries_every_educational_field():
    rec = stored(read_lom(etree.parse(str(DATA / "lre_lom_record.xml")).getroot()))
    assert rec["name"] == {"en": "Water filters from sand and charcoal", "pt": "Filtros de água com areia e carvão"}
    assert rec["inLanguage"] == ["en", "pt"]
    assert rec["keywords"] == ["water", "filtration"]
    assert rec["creator"][0]["name"] == "Inês Costa"
    assert rec["creator"][0]["affiliation"]["name"] == "Escola Secundária de Exemplo"
    assert rec["publisher"][0]["name"] == "European Schoolnet"
    assert rec["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert rec["learningResourceType"] == ["https://w3id.org/kim/hcrt/lesson_plan", "https://w3id.org/kim/hcrt/experiment"]
    assert rec["audience"] == ["http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/teacher",
                               "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/student"]
    assert rec["educationalLevel"] == ["https://w3id.org/kim/isced-2011/level1"]
    assert rec["typicalAgeRange"] == "10-12"
    assert rec["sdg"] == ["http://metadata.un.org/sdg/6"]
    assert rec["about"][0]["id"] == "https://lre.example.eu/thesaurus/chemistry"
    assert rec["url"] == "https://lre.example.eu/resources/4711"
    assert rec["identifier"] == ["https://doi.org/10.9999/lre.4711"]
    assert rec["isPartOf"] == [{"id": "https://lre.example.eu/collections/water"}]
    assert rec["isAccessibleForFree"] is True


def test_oai_dc_languages_iso_639_2_and_3_and_xml_lang():
    xml = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title xml:lang="ger">Bienenhotels</dc:title>'
           "<dc:language>ger</dc:language><dc:language>por</dc:language><dc:language>ell</dc:language>"
           "<dc:subject>SDG 15</dc:subject><dc:subject>insects; biodiversity</dc:subject>"
           "<dc:type>Lesson plan</dc:type><dc:rights>CC BY 4.0</dc:rights></oai_dc:dc>")
    rec = stored(read_oai_dc(etree.fromstring(xml)))
    assert rec["inLanguage"] == ["de", "pt", "el"]
    assert rec["name"] == {"de": "Bienenhotels"}
    assert rec["sdg"] == ["http://metadata.un.org/sdg/15"]
    assert rec["keywords"] == ["insects", "biodiversity"]
    assert rec["learningResourceType"] == ["https://w3id.org/kim/hcrt/lesson_plan"]
    assert rec["license"] == "https://creativecommons.org/licenses/by/4.0/"


@pytest.mark.parametrize("parts, reader", [
    (("zenodo", "ListRecords_datacite_page1.xml"), read_datacite),
    (("tib-av-portal", "ListRecords_datacite_page1.xml"), read_datacite),
    (("duepublico-oer", "ListRecords_mods_all.xml.gz"), read_mods),
    (("zenodo", "ListRecords_set_software_oai_dc_page1.xml"), read_oai_dc),
    (("helda-dspace", "GetRecord_oai_dc_2014-09.xml"), read_oai_dc),
])
def test_real_records_crosswalk_to_valid_records(parts, reader):
    path = shared_path("fixtures", "oai", *parts)
    count = 0
    for oai_id, payload in payloads(path):
        rec = stored(reader(payload))
        assert rec["name"], oai_id
        count += 1
    assert count > 0


def test_datacite_zenodo_record_fields():
    path = shared_path("fixtures", "oai", "zenodo", "ListRecords_datacite_page1.xml")
    oai_id, payload = next(payloads(path))
    rec = stored(read_datacite(payload))
    assert rec["name"] == {"und": "PocketCoffea: a configuration layer for CMS analyses with Coffea"}
    assert rec["identifier"] == ["https://doi.org/10.5281/zenodo.8435696"]
    assert rec["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert rec["datePublished"] == "2023-10-10"
    assert rec["learningResourceType"] == ["https://w3id.org/kim/hcrt/slide"]
    assert rec["isAccessibleForFree"] is True


def test_mods_accesscondition_licence_and_locations():
    path = shared_path("fixtures", "oai", "duepublico-oer", "ListRecords_mods_all.xml.gz")
    found = dict(payloads(path))
    rec = stored(read_mods(found["oai:oer.uni-due.de:duepublico_mods_00075316"]))
    assert rec["name"]["de"].startswith("Autor vor Ort 2020: Salah Naoura: Onlinejournal")
    assert "https://doi.org/10.17185/duepublico/75316" in rec["identifier"]
    assert rec["url"] == "https://duepublico2.uni-due.de/receive/duepublico_mods_00075316"
    assert rec["image"].endswith("duepublico_mods_00075316.png")
    assert rec["license"]

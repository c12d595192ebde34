"""Crosswalks from oai_dc, LOM (LRE profile), DataCite and MODS to our stored record."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import shared_path
from lxml import etree

from oerrepo.harvesters.datacite import read_datacite
from oerrepo.harvesters.lom import read_lom
from oerrepo.harvesters.mods import read_mods
from oerrepo.harvesters.oai_dc import read_oai_dc
from oerrepo.licenses import read_rights
from oerrepo.model import normalize_record

DATA = Path(__file__).parent / "data" / "harvest"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def stored(cw):
    record = dict(cw.record)
    lic = read_rights(cw.rights).license
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


# DSpace writes a generic text first and the exact licence URL second; each crosswalk is
# given the same two statements in its own form (payloads written for this test).
_GENERIC_THEN_SPECIFIC = ("Creative Commons Attribution", "http://creativecommons.org/licenses/by-nc/3.0/")


def _oai_dc(*rights: str):
    xml = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Bee hotels</dc:title>'
           + "".join(f"<dc:rights>{r}</dc:rights>" for r in rights) + "</oai_dc:dc>")
    return read_oai_dc(etree.fromstring(xml))


def _lom(*rights: str):
    xml = ('<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general><title><string language="en">Bee hotels'
           "</string></title></general><rights>"
           + "".join(f'<description><string language="en">{r}</string></description>' for r in rights)
           + "</rights></lom>")
    return read_lom(etree.fromstring(xml))


def _datacite(*rights: str):
    items = "".join(f'<rights rightsURI="{r}"/>' if "://" in r else f"<rights>{r}</rights>" for r in rights)
    xml = ('<resource xmlns="http://datacite.org/schema/kernel-4"><titles><title>Bee hotels</title></titles>'
           f"<rightsList>{items}</rightsList></resource>")
    return read_datacite(etree.fromstring(xml))


def _mods(*rights: str):
    items = "".join(
        f'<accessCondition type="use and reproduction" xlink:href="{r}"/>' if "://" in r
        else f'<accessCondition type="use and reproduction">{r}</accessCondition>' for r in rights)
    xml = ('<mods xmlns="http://www.loc.gov/mods/v3" xmlns:xlink="http://www.w3.org/1999/xlink">'
           f"<titleInfo><title>Bee hotels</title></titleInfo>{items}</mods>")
    return read_mods(etree.fromstring(xml))


@pytest.mark.parametrize("crosswalk", [_oai_dc, _lom, _datacite, _mods])
def test_specific_licence_wins_over_a_generic_text_in_every_crosswalk(crosswalk):
    rights = read_rights(crosswalk(*_GENERIC_THEN_SPECIFIC).rights)
    # the URL's NonCommercial condition and version are kept, never CC BY 4.0
    assert rights.license.id == "CC-BY-NC-3.0"
    assert rights.license.url == "https://creativecommons.org/licenses/by-nc/3.0/"
    assert rights.problem and "disagree" in rights.problem
    # the same statements in the other order give the same reading
    assert read_rights(crosswalk(*reversed(_GENERIC_THEN_SPECIFIC)).rights).license.id == "CC-BY-NC-3.0"


@pytest.mark.parametrize("crosswalk", [_oai_dc, _lom, _datacite, _mods])
@pytest.mark.parametrize("statements, kept", [
    (("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"), "CC-BY-NC-SA-4.0"),
    (("https://creativecommons.org/licenses/by-nd/4.0/", "CC BY-SA 4.0"), "CC-BY-ND-4.0"),
    (("CC0 1.0", "https://creativecommons.org/licenses/by/4.0/"), "CC-BY-4.0"),
    (("MIT", "CC BY-NC-ND 4.0"), "CC-BY-NC-ND-4.0"),
])
def test_statements_that_disagree_keep_the_most_restrictive_reading(crosswalk, statements, kept):
    for order in (statements, tuple(reversed(statements))):
        rights = read_rights(crosswalk(*order).rights)
        assert rights.license.id == kept, order
        assert rights.problem, order


@pytest.mark.parametrize("crosswalk", [_oai_dc, _lom, _datacite, _mods])
def test_statements_that_agree_are_no_problem_and_the_versionless_reading_is_said(crosswalk):
    agree = read_rights(crosswalk("Creative Commons Attribution", "https://creativecommons.org/licenses/by/3.0/").rights)
    assert agree.license.id == "CC-BY-3.0" and agree.problem is None
    alone = read_rights(crosswalk("Creative Commons Attribution-NonCommercial").rights)
    assert alone.license.id == "CC-BY-NC-4.0" and alone.problem is None
    assert any("no version given" in note for note in alone.notes)


def test_all_rights_reserved_beside_a_licence_keeps_no_licence():
    rights = read_rights(_oai_dc("All rights reserved", "https://creativecommons.org/licenses/by/4.0/").rights)
    assert rights.license is None and "All rights reserved" in rights.problem


def test_real_mods_record_keeps_its_own_licence_not_a_related_items():
    # DuEPublico's record 75316 is CC BY-ND 4.0; one of the works it references is CC BY-SA 4.0.
    path = shared_path("fixtures", "oai", "duepublico-oer", "ListRecords_mods_all.xml.gz")
    found = dict(payloads(path))
    rights = read_rights(read_mods(found["oai:oer.uni-due.de:duepublico_mods_00075316"]).rights)
    assert rights.license.id == "CC-BY-ND-4.0" and rights.problem is None


@pytest.mark.parametrize("parts, reader", [
    (("zenodo", "ListRecords_set_software_oai_dc_page1.xml"), read_oai_dc),
    (("zenodo", "ListRecords_datacite_page1.xml"), read_datacite),
    (("tib-av-portal", "ListRecords_datacite_page1.xml"), read_datacite),
    (("duepublico-oer", "ListRecords_mods_all.xml.gz"), read_mods),
])
def test_real_records_whose_statements_agree_raise_no_problem(parts, reader):
    # Zenodo gives a title, a legal-code URL and an SPDX id for the same licence.
    for oai_id, payload in payloads(shared_path("fixtures", "oai", *parts)):
        rights = read_rights(reader(payload).rights)
        assert rights.problem is None, (oai_id, rights.problem)

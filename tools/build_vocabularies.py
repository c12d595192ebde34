"""Build oerrepo's vocabulary files from the published SKOS sources.

Reads the SKOS Turtle files in ../shared/reference/vocabularies (beside the checkout)
and writes oerrepo/schemas/vocabularies/<name>.json, the form ``oerrepo.vocabularies``
loads at run time without rdflib. Concept URIs, notations and labels are carried over
unchanged from the sources; the few additions are listed in ``ADDED_LABELS`` and
``SDG_TITLES`` below, marked as ours, and named in each file's "source".

Example:

    python tools/build_vocabularies.py                 # rewrite the shipped files
    python tools/build_vocabularies.py --check         # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "vocabularies"
DEFAULT_TARGET = ROOT / "oerrepo" / "schemas" / "vocabularies"

# name -> (Turtle file, concept scheme, namespace of the concepts, provenance)
SKOS_SOURCES: dict[str, tuple[str, str, str, str]] = {
    "learningResourceType": (
        "hcrt.ttl",
        "https://w3id.org/kim/hcrt/scheme",
        "https://w3id.org/kim/hcrt/",
        "Higher Education Resource Types (hcrt) by DINI-AG KIM, "
        "https://github.com/dini-ag-kim/hcrt hcrt.ttl (commit 99aa383d); "
        "licence CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/). "
        "URIs and labels carried over unchanged (surrounding spaces trimmed); "
        "'notation' is the URI's last segment.",
    ),
    "educationalLevel": (
        "isced-2011.ttl",
        "https://w3id.org/kim/isced-2011/scheme",
        "https://w3id.org/kim/isced-2011/",
        "ISCED 2011 levels of education as SKOS by DINI-AG KIM, "
        "https://github.com/dini-ag-kim/vocabs-edu isced-2011.ttl (commit cb14f245); "
        "licence CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/). "
        "URIs, notations, en/de labels and the exactMatch to the KIM educationalLevel "
        "vocabulary carried over (exactMatch written with https://, as AMB requires). "
        "The fr and es labels are added by oerrepo from UNESCO's French and Spanish "
        "editions of ISCED 2011 (CITE 2011 / CINE 2011).",
    ),
    "audience": (
        "lrmi-educationalAudienceRole.ttl",
        "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/",
        "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/",
        "LRMI Educational Audience Role Vocabulary by the DCMI LRMI Task Group, "
        "https://github.com/dcmi/lrmi lrmi_vocabs/educationalAudienceRole/"
        "educationalAudienceRole.ttl (commit bcb904d6); licence CC BY 4.0 "
        "(https://creativecommons.org/licenses/by/4.0/), attribution: DCMI LRMI Task Group. "
        "URIs and labels carried over (en-US stored as en); 'notation' is the URI's last segment.",
    ),
    "conditionsOfAccess": (
        "conditionsOfAccess.ttl",
        "https://w3id.org/kim/conditionsOfAccess/",
        "https://w3id.org/kim/conditionsOfAccess/",
        "Conditions of access by DINI-AG KIM, as copied in "
        "https://github.com/TIBHannover/oersi-etl data/maps/vocabulary/conditionsOfAccess.ttl "
        "(commit 6bef1ed6); licence CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/). "
        "URIs and labels carried over; 'aliases' holds the http:// form the AMB JSON Schema "
        "enumerates; 'notation' is the URI's last segment.",
    ),
}

# The isced-2011.ttl prefix for KIM educationalLevel is http://, but AMB's schema
# only accepts https://w3id.org/kim/educationalLevel/ ids.
EXACT_MATCH_KEEP = {
    "educationalLevel": ("http://w3id.org/kim/educationalLevel/", "https://w3id.org/kim/educationalLevel/"),
}

# Labels oerrepo adds (not in the SKOS source). ISCED 2011 is published by UNESCO in
# English, French and Spanish; level 9 is left out where the wording is not certain.
ADDED_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "educationalLevel": {
        "https://w3id.org/kim/isced-2011/level0": {
            "fr": "Éducation de la petite enfance",
            "es": "Educación de la primera infancia",
        },
        "https://w3id.org/kim/isced-2011/level1": {
            "fr": "Enseignement primaire",
            "es": "Educación primaria",
        },
        "https://w3id.org/kim/isced-2011/level2": {
            "fr": "Premier cycle de l’enseignement secondaire",
            "es": "Educación secundaria baja",
        },
        "https://w3id.org/kim/isced-2011/level3": {
            "fr": "Deuxième cycle de l’enseignement secondaire",
            "es": "Educación secundaria alta",
        },
        "https://w3id.org/kim/isced-2011/level4": {
            "fr": "Enseignement post-secondaire non supérieur",
            "es": "Educación postsecundaria no terciaria",
        },
        "https://w3id.org/kim/isced-2011/level5": {
            "fr": "Enseignement supérieur de cycle court",
            "es": "Educación terciaria de ciclo corto",
        },
        "https://w3id.org/kim/isced-2011/level6": {
            "fr": "Niveau licence ou équivalent",
            "es": "Grado en educación terciaria o nivel equivalente",
        },
        "https://w3id.org/kim/isced-2011/level7": {
            "fr": "Niveau master ou équivalent",
            "es": "Nivel de maestría, especialización o equivalente",
        },
        "https://w3id.org/kim/isced-2011/level8": {
            "fr": "Niveau doctorat ou équivalent",
            "es": "Nivel de doctorado o equivalente",
        },
    },
}

# Written by oerrepo: there is no licensed SKOS file for the goals. Short titles as the
# United Nations and its regional information centres publish them.
SDG_TITLES: dict[str, list[str]] = {
    "en": [
        "No poverty", "Zero hunger", "Good health and well-being", "Quality education",
        "Gender equality", "Clean water and sanitation", "Affordable and clean energy",
        "Decent work and economic growth", "Industry, innovation and infrastructure",
        "Reduced inequalities", "Sustainable cities and communities",
        "Responsible consumption and production", "Climate action", "Life below water",
        "Life on land", "Peace, justice and strong institutions", "Partnerships for the goals",
    ],
    "fr": [
        "Pas de pauvreté", "Faim « zéro »", "Bonne santé et bien-être", "Éducation de qualité",
        "Égalité entre les sexes", "Eau propre et assainissement",
        "Énergie propre et d’un coût abordable", "Travail décent et croissance économique",
        "Industrie, innovation et infrastructure", "Inégalités réduites",
        "Villes et communautés durables", "Consommation et production responsables",
        "Mesures relatives à la lutte contre les changements climatiques", "Vie aquatique",
        "Vie terrestre", "Paix, justice et institutions efficaces",
        "Partenariats pour la réalisation des objectifs",
    ],
    "es": [
        "Fin de la pobreza", "Hambre cero", "Salud y bienestar", "Educación de calidad",
        "Igualdad de género", "Agua limpia y saneamiento", "Energía asequible y no contaminante",
        "Trabajo decente y crecimiento económico", "Industria, innovación e infraestructura",
        "Reducción de las desigualdades", "Ciudades y comunidades sostenibles",
        "Producción y consumo responsables", "Acción por el clima", "Vida submarina",
        "Vida de ecosistemas terrestres", "Paz, justicia e instituciones sólidas",
        "Alianzas para lograr los objetivos",
    ],
    "de": [
        "Keine Armut", "Kein Hunger", "Gesundheit und Wohlergehen", "Hochwertige Bildung",
        "Geschlechtergleichheit", "Sauberes Wasser und Sanitäreinrichtungen",
        "Bezahlbare und saubere Energie", "Menschenwürdige Arbeit und Wirtschaftswachstum",
        "Industrie, Innovation und Infrastruktur", "Weniger Ungleichheiten",
        "Nachhaltige Städte und Gemeinden", "Nachhaltige/r Konsum und Produktion",
        "Maßnahmen zum Klimaschutz", "Leben unter Wasser", "Leben an Land",
        "Frieden, Gerechtigkeit und starke Institutionen", "Partnerschaften zur Erreichung der Ziele",
    ],
    "it": [
        "Sconfiggere la povertà", "Sconfiggere la fame", "Salute e benessere",
        "Istruzione di qualità", "Parità di genere", "Acqua pulita e servizi igienico-sanitari",
        "Energia pulita e accessibile", "Lavoro dignitoso e crescita economica",
        "Imprese, innovazione e infrastrutture", "Ridurre le disuguaglianze",
        "Città e comunità sostenibili", "Consumo e produzione responsabili",
        "Lotta contro il cambiamento climatico", "Vita sott’acqua", "Vita sulla terra",
        "Pace, giustizia e istituzioni solide", "Partnership per gli obiettivi",
    ],
    "pt": [
        "Erradicar a pobreza", "Erradicar a fome", "Saúde de qualidade", "Educação de qualidade",
        "Igualdade de género", "Água potável e saneamento", "Energias renováveis e acessíveis",
        "Trabalho digno e crescimento económico", "Indústria, inovação e infraestruturas",
        "Reduzir as desigualdades", "Cidades e comunidades sustentáveis",
        "Produção e consumo sustentáveis", "Ação climática", "Proteger a vida marinha",
        "Proteger a vida terrestre", "Paz, justiça e instituições eficazes",
        "Parcerias para a implementação dos objetivos",
    ],
    "nl": [
        "Geen armoede", "Geen honger", "Goede gezondheid en welzijn", "Kwaliteitsonderwijs",
        "Gendergelijkheid", "Schoon water en sanitair", "Betaalbare en duurzame energie",
        "Waardig werk en economische groei", "Industrie, innovatie en infrastructuur",
        "Ongelijkheid verminderen", "Duurzame steden en gemeenschappen",
        "Verantwoorde consumptie en productie", "Klimaatactie", "Leven in het water",
        "Leven op het land", "Vrede, justitie en sterke publieke diensten",
        "Partnerschap om doelstellingen te bereiken",
    ],
    "el": [
        "Μηδενική φτώχεια", "Μηδενική πείνα", "Καλή υγεία και ευημερία", "Ποιοτική εκπαίδευση",
        "Ισότητα των φύλων", "Καθαρό νερό και αποχέτευση", "Φθηνή και καθαρή ενέργεια",
        "Αξιοπρεπής εργασία και οικονομική ανάπτυξη", "Βιομηχανία, καινοτομία και υποδομές",
        "Λιγότερες ανισότητες", "Βιώσιμες πόλεις και κοινότητες",
        "Υπεύθυνη κατανάλωση και παραγωγή", "Δράση για το κλίμα", "Ζωή στο νερό",
        "Ζωή στη στεριά", "Ειρήνη, δικαιοσύνη και ισχυροί θεσμοί", "Συνεργασία για τους στόχους",
    ],
}

SDG_SOURCE = (
    "United Nations Sustainable Development Goals, concept URIs http://metadata.un.org/sdg/N "
    "(UN Library linked data). No licensed SKOS copy is carried: goal numbers and short titles "
    "were written by the oerrepo developers after the titles the United Nations and its "
    "regional information centres publish; this file is CC0 1.0."
)


def language(tag: str | None) -> str:
    """Primary language subtag: our label maps hold one text per language ('en-US' -> 'en')."""
    return (tag or "und").split("-")[0].lower()


def skos_vocabulary(name: str, source_dir: Path) -> dict:
    """One vocabulary in our JSON form, read from its SKOS Turtle file."""
    filename, scheme, namespace, provenance = SKOS_SOURCES[name]
    graph = Graph()
    graph.parse(source_dir / filename, format="turtle")
    uris = sorted(
        {str(s) for s in graph.subjects(SKOS.prefLabel, None) if str(s).startswith(namespace) and str(s) != scheme},
        key=_sort_key,
    )
    concepts = []
    for uri in uris:
        node = URIRef(uri)
        labels: dict[str, str] = {}
        for literal in graph.objects(node, SKOS.prefLabel):
            labels.setdefault(language(literal.language), str(literal).strip())
        labels.update(ADDED_LABELS.get(name, {}).get(uri, {}))
        alt_labels: dict[str, list[str]] = {}
        for literal in graph.objects(node, SKOS.altLabel):
            alt_labels.setdefault(language(literal.language), [])
            if str(literal).strip() not in alt_labels[language(literal.language)]:
                alt_labels[language(literal.language)].append(str(literal).strip())
        notations = [str(n) for n in graph.objects(node, SKOS.notation)]
        concept = {
            "uri": uri,
            "notation": notations[0] if notations else uri.rstrip("/").rsplit("/", 1)[-1],
            "labels": _ordered(labels),
            "altLabels": {lang: sorted(values) for lang, values in _ordered(alt_labels).items()},
            "exactMatch": [],
        }
        if name in EXACT_MATCH_KEEP:
            written, stored = EXACT_MATCH_KEEP[name]
            concept["exactMatch"] = sorted(
                stored + str(m)[len(written):] for m in graph.objects(node, SKOS.exactMatch)
                if str(m).startswith(written)
            )
        if name == "conditionsOfAccess":
            concept["aliases"] = ["http://" + uri[len("https://"):]]
        concepts.append(concept)
    return {"name": name, "scheme": scheme, "source": provenance, "concepts": concepts}


def sdg_vocabulary() -> dict:
    """The 17 goals with their short titles."""
    concepts = []
    for number in range(1, 18):
        concepts.append({
            "uri": f"http://metadata.un.org/sdg/{number}",
            "notation": str(number),
            "labels": {lang: titles[number - 1] for lang, titles in SDG_TITLES.items()},
            "altLabels": {"en": [f"Goal {number}", f"SDG {number}"]},
            "exactMatch": [],
        })
    return {"name": "sdg", "scheme": "http://metadata.un.org/sdg", "source": SDG_SOURCE, "concepts": concepts}


def build(source_dir: Path = DEFAULT_SOURCE) -> dict[str, dict]:
    """Every vocabulary in our JSON form, by name."""
    built = {name: skos_vocabulary(name, source_dir) for name in SKOS_SOURCES}
    built["sdg"] = sdg_vocabulary()
    return built


def dumps(vocabulary: dict) -> str:
    """The exact text of a shipped vocabulary file."""
    return json.dumps(vocabulary, ensure_ascii=False, indent=2) + "\n"


def _sort_key(uri: str) -> tuple[int, str]:
    tail = uri.rsplit("/", 1)[-1]
    digits = "".join(c for c in tail if c.isdigit())
    return (int(digits) if digits and tail.startswith("level") else -1, uri)


def _ordered(mapping: dict) -> dict:
    # English first, then alphabetical, so diffs of regenerated files stay small.
    return dict(sorted(mapping.items(), key=lambda item: (item[0] != "en", item[0])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with the SKOS Turtle files")
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET, help="folder to write <name>.json into")
    parser.add_argument("--check", action="store_true", help="only report files that differ; exit 1 if any")
    args = parser.parse_args(argv)
    stale = []
    for name, vocabulary in build(args.source).items():
        path = args.target / f"{name}.json"
        text = dumps(vocabulary)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(vocabulary['concepts'])} concepts)")
    for path in stale:
        print(f"out of date: {path} (run python tools/build_vocabularies.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())

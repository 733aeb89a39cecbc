"""CRD plurals as upstream kro derives them: `flect.Pluralize(strings.ToLower(kind))`, with the rules
and word lists of gobuffalo/flect v1.0.3 (the version kro pins). `TestNames` → `testnames`,
`Policy` → `policies`, `Index` → `indices`, `Redis` → `redis` (a word ending in "s" is taken as plural).

Pure and dependency-free (the `inflect` library it replaces cost about two seconds of every CLI start).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# (singular, plural, alternative plural, flag): flect's dictionary, in its order. Flags: "exact", the
# word only as a whole, never as the end of a compound; "uncountable", plural = singular;
# "unidirectional", the plural does not map back to this singular.
_DICTIONARY: tuple[tuple[str, str, str, str], ...] = (
    ("aircraft", "aircraft", "", ""),
    ("beef", "beef", "beefs", ""),
    ("bison", "bison", "", ""),
    ("blues", "blues", "", "unidirectional"),
    ("chassis", "chassis", "", ""),
    ("deer", "deer", "", ""),
    ("fish", "fish", "fishes", ""),
    ("moose", "moose", "", ""),
    ("police", "police", "", ""),
    ("salmon", "salmon", "salmons", ""),
    ("series", "series", "", ""),
    ("sheep", "sheep", "", ""),
    ("shrimp", "shrimp", "shrimps", ""),
    ("species", "species", "", ""),
    ("swine", "swine", "swines", ""),
    ("trout", "trout", "trouts", ""),
    ("tuna", "tuna", "tunas", ""),
    ("you", "you", "", ""),
    ("child", "children", "", ""),
    ("ox", "oxen", "", "exact"),
    ("foot", "feet", "", ""),
    ("goose", "geese", "", ""),
    ("man", "men", "", ""),
    ("human", "humans", "", ""),
    ("louse", "lice", "", "exact"),
    ("mouse", "mice", "", ""),
    ("tooth", "teeth", "", ""),
    ("woman", "women", "", ""),
    ("die", "dice", "", "exact"),
    ("person", "people", "", ""),
    ("adieu", "adieux", "adieus", ""),
    ("fabliau", "fabliaux", "", ""),
    ("bureau", "bureaus", "bureaux", ""),
    ("criterion", "criteria", "", ""),
    ("ganglion", "ganglia", "ganglions", ""),
    ("lexicon", "lexica", "lexicons", ""),
    ("mitochondrion", "mitochondria", "mitochondrions", ""),
    ("noumenon", "noumena", "", ""),
    ("phenomenon", "phenomena", "", ""),
    ("taxon", "taxa", "", ""),
    ("media", "media", "", ""),
    ("medium", "media", "mediums", "unidirectional"),
    ("stadium", "stadiums", "stadia", ""),
    ("aquarium", "aquaria", "aquariums", ""),
    ("auditorium", "auditoria", "auditoriums", ""),
    ("symposium", "symposia", "symposiums", ""),
    ("curriculum", "curriculums", "curricula", ""),
    ("quota", "quotas", "", ""),
    ("alumnus", "alumni", "alumnuses", ""),
    ("bacillus", "bacilli", "", ""),
    ("cactus", "cacti", "cactuses", ""),
    ("coccus", "cocci", "", ""),
    ("focus", "foci", "focuses", ""),
    ("locus", "loci", "locuses", ""),
    ("nucleus", "nuclei", "nucleuses", ""),
    ("octopus", "octupuses", "octopi", ""),
    ("radius", "radii", "radiuses", ""),
    ("syllabus", "syllabi", "", ""),
    ("corpus", "corpora", "corpuses", ""),
    ("genus", "genera", "", ""),
    ("alumna", "alumnae", "", ""),
    ("vertebra", "vertebrae", "", ""),
    ("differentia", "differentiae", "", ""),
    ("minutia", "minutiae", "", ""),
    ("vita", "vitae", "", ""),
    ("larva", "larvae", "", ""),
    ("postcava", "postcavae", "", ""),
    ("praecava", "praecavae", "", ""),
    ("uva", "uvae", "", ""),
    ("apex", "apices", "apexes", ""),
    ("codex", "codices", "codexes", ""),
    ("index", "indices", "indexes", ""),
    ("latex", "latices", "latexes", ""),
    ("vertex", "vertices", "vertexes", ""),
    ("vortex", "vortices", "vortexes", ""),
    ("appendix", "appendices", "appendixes", ""),
    ("radix", "radices", "radixes", ""),
    ("helix", "helices", "helixes", ""),
    ("axis", "axes", "", "exact"),
    ("crisis", "crises", "", ""),
    ("ellipsis", "ellipses", "", "unidirectional"),
    ("genesis", "geneses", "", ""),
    ("oasis", "oases", "", ""),
    ("thesis", "theses", "", ""),
    ("testis", "testes", "", ""),
    ("base", "bases", "", ""),
    ("basis", "bases", "", "unidirectional"),
    ("alias", "aliases", "", "exact"),
    ("vedalia", "vedalias", "", ""),
    ("use", "uses", "", "exact"),
    ("abuse", "abuses", "", ""),
    ("cause", "causes", "", ""),
    ("clause", "clauses", "", ""),
    ("cruse", "cruses", "", ""),
    ("excuse", "excuses", "", ""),
    ("fuse", "fuses", "", ""),
    ("house", "houses", "", ""),
    ("misuse", "misuses", "", ""),
    ("muse", "muses", "", ""),
    ("pause", "pauses", "", ""),
    ("ache", "aches", "", ""),
    ("topaz", "topazes", "", ""),
    ("buffalo", "buffaloes", "buffalos", ""),
    ("potato", "potatoes", "", ""),
    ("tomato", "tomatoes", "", ""),
    ("equipment", "", "", "uncountable"),
    ("information", "", "", "uncountable"),
    ("jeans", "", "", "uncountable"),
    ("money", "", "", "uncountable"),
    ("news", "", "", "uncountable"),
    ("rice", "", "", "uncountable"),
    ("dwarf", "dwarfs", "dwarves", ""),
    ("hoof", "hoofs", "hooves", ""),
    ("thief", "thieves", "", ""),
    ("chive", "chives", "", ""),
    ("hive", "hives", "", ""),
    ("move", "moves", "", ""),
    ("movie", "movies", "", ""),
    ("cookie", "cookies", "", ""),
    ("pretorium", "pretoriums", "", ""),
    ("agenda", "agendas", "", ""),
    ("formula", "formulas", "formulae", ""),
    ("shoe", "shoes", "", ""),
    ("toe", "toes", "", "exact"),
    ("graffiti", "graffiti", "", ""),
    ("ID", "IDs", "", "exact"),
)

# (singular suffix, plural suffix), highest priority first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("tive", "tives"),
    ("eaf", "eaves"),
    ("oaf", "oaves"),
    ("afe", "aves"),
    ("arf", "arves"),
    ("rfe", "rves"),
    ("rf", "rves"),
    ("lf", "lves"),
    ("fe", "ves"),
    ("ay", "ays"),
    ("ey", "eys"),
    ("oy", "oys"),
    ("quy", "quies"),
    ("uy", "uys"),
    ("y", "ies"),
    ("eau", "eaux"),
    ("bula", "bulae"),
    ("dula", "bulae"),
    ("lula", "bulae"),
    ("nula", "bulae"),
    ("vula", "bulae"),
    ("hedron", "hedra"),
    ("ium", "ia"),
    ("seum", "seums"),
    ("eum", "ea"),
    ("oum", "oa"),
    ("stracum", "straca"),
    ("dum", "da"),
    ("elum", "ela"),
    ("ilum", "ila"),
    ("olum", "ola"),
    ("ulum", "ula"),
    ("llum", "lla"),
    ("ylum", "yla"),
    ("imum", "ima"),
    ("ernum", "erna"),
    ("gnum", "gna"),
    ("brum", "bra"),
    ("crum", "cra"),
    ("terum", "tera"),
    ("serum", "sera"),
    ("trum", "tra"),
    ("antum", "anta"),
    ("atum", "ata"),
    ("entum", "enta"),
    ("etum", "eta"),
    ("itum", "ita"),
    ("otum", "ota"),
    ("utum", "uta"),
    ("ctum", "cta"),
    ("ovum", "ova"),
    ("trix", "trices"),
    ("iasis", "iases"),
    ("mesis", "meses"),
    ("kinesis", "kineses"),
    ("resis", "reses"),
    ("gnosis", "gnoses"),
    ("opsis", "opses"),
    ("ysis", "yses"),
    ("ouse", "ouses"),
    ("lause", "lauses"),
    ("us", "uses"),
    ("ch", "ches"),
    ("io", "ios"),
    ("sh", "shes"),
    ("ss", "sses"),
    ("ez", "ezzes"),
    ("iz", "izzes"),
    ("tz", "tzes"),
    ("zz", "zzes"),
    ("ano", "anos"),
    ("lo", "los"),
    ("to", "tos"),
    ("oo", "oos"),
    ("o", "oes"),
    ("x", "xes"),
    ("S", "Ses"),
)

# Words flect keeps whole and upper-case when they are the entire input.
_ACRONYMS = frozenset(
    """
    OK UTF8 HTML JSON JWT ID UUID SQL ACK ACL ADSL AES ANSI API ARP ATM BGP BSS CCITT CHAP CIDR CIR
    CLI CPE CPU CRC CRT CSMA CMOS DCE DEC DES DHCP DNS DRAM DSL DSLAM DTE DMI EHA EIA EIGRP EOF ESS
    FCC FCS FDDI FTP GBIC GEPOF HDLC HTTP HTTPS IANA ICMP IDF IDS IEEE IETF IMAP IP IPS ISDN ISP
    LACP LAN LAPB LAPF LLC MAC MC MDF MIB MPLS MTU NAC NAT NBMA NIC NRZ NRZI NVRAM OSI OSPF OUI PAP
    PAT PC PIM PCM PDU POP3 POTS PPP PPTP PTT PVST RAM RARP RFC RIP RLL ROM RSTP RTP RCP SDLC SFD
    SFP SLARP SLIP SMTP SNA SNAP SNMP SOF SRAM SSH SSID STP SYN TDM TFTP TIA TOFU UDP URL URI USB
    UTP VC VLAN VLSM VPN W3C WAN WEP WPA WWW
    """.split()
)

_SEPARATORS = "_ :-/"


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], tuple[tuple[str, str | None], ...]]:
    """flect's singleToPlural and pluralToSingle maps, and its plural rules in priority order: each
    rule is (suffix, replacement), or (suffix, None) for "already plural, keep it"."""
    single_to_plural: dict[str, str] = {}
    plural_to_single: dict[str, str] = {}
    rules: list[tuple[str, str | None]] = []

    def insert(suffix: str, replacement: str) -> None:  # flect's InsertPluralRule prepends both
        rules[:0] = [(replacement, None), (suffix, replacement)]

    for singular, plural, alternative, flag in _DICTIONARY:
        plural = plural or singular  # uncountable
        single_to_plural[singular] = plural
        if flag != "unidirectional":
            plural_to_single[plural] = singular
            if alternative:
                plural_to_single[alternative] = singular
    for singular, plural in reversed(_SUFFIXES):
        insert(singular, plural)
    for singular, plural, _alternative, flag in _DICTIONARY:
        if flag != "exact":
            insert(singular, plural or singular)
    return single_to_plural, plural_to_single, tuple(rules)


def _parts(text: str) -> list[str]:
    """flect's word split: at separators and lower→upper case changes; acronyms upper-cased."""
    text = text.strip()
    if not text:
        return []
    if text.upper() in _ACRONYMS:
        return [text.upper()]
    parts: list[str] = []
    current = ""
    previous = ""

    def flush() -> None:
        word = current.strip().strip(_SEPARATORS)
        if word.upper() in _ACRONYMS:
            word = word.upper()
        if word:
            parts.append(word)

    for char in text:
        if char in _SEPARATORS or char.isspace():
            flush()
            current = char
        elif char.isupper() and (not previous.isupper() or current.upper() in _ACRONYMS):
            flush()
            current = char
        elif char.isalnum() or unicodedata.category(char).startswith("P") or char == "`":
            current += char
        else:
            flush()
            current = ""
        previous = char
    flush()
    return parts


def pluralize(text: str) -> str:
    """`flect.Pluralize(text)` (gobuffalo/flect v1.0.3): the last word of `text` made plural."""
    parts = _parts(text)
    if not parts:
        return ""
    single_to_plural, plural_to_single, rules = _tables()
    last = parts[-1]

    def replace_suffix(suffix: str, replacement: str) -> str:
        return (text[: -len(suffix)] if suffix and text.endswith(suffix) else text) + replacement

    if text in single_to_plural:
        return replace_suffix(text, single_to_plural[text])
    if text in plural_to_single:
        return text
    lower = last.lower()
    if lower in plural_to_single:
        return text
    if lower in single_to_plural:
        plural = single_to_plural[lower]
        if last == _capitalize(last):
            plural = _capitalize(plural)
        return replace_suffix(last, plural)
    for suffix, replacement in rules:
        if last.endswith(suffix):
            return text if replacement is None else replace_suffix(last, last[: -len(suffix)] + replacement)
    if lower.endswith("s"):
        return text
    return text + "s"


@lru_cache(maxsize=256)
def plural_of(kind: str) -> str:
    """The CRD plural of an instance kind, as kro names it: `pluralize(kind.lower())`."""
    return pluralize(kind.lower())

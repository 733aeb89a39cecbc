"""CRD plurals as kro's: `flect.Pluralize(strings.ToLower(kind))` with gobuffalo/flect v1.0.3's rules.

Each expectation is what flect (and so upstream kro) gives, taken from flect's rule lists, dictionary
and its own test assertions.
"""

from __future__ import annotations

import pytest

from pykro.schema.plural import plural_of, pluralize

KINDS = [
    # regular and CamelCase kinds
    ("WebApp", "webapps"),
    ("Application", "applications"),
    ("EKSCluster", "eksclusters"),
    ("ConfigRollout", "configrollouts"),
    ("Car", "cars"),
    ("GoodBoy", "goodboys"),
    # words already plural (ending in "s") stay as they are
    ("TestNames", "testnames"),
    ("Redis", "redis"),
    ("Settings", "settings"),
    ("Jeans", "jeans"),
    # -ss, -sh, -ch, -x, -z
    ("Class", "classes"),
    ("Ingress", "ingresses"),
    ("Address", "addresses"),
    ("Mesh", "meshes"),
    ("Batch", "batches"),
    ("Box", "boxes"),
    ("Quiz", "quizzes"),
    ("Waltz", "waltzes"),
    ("Buzz", "buzzes"),
    # -y
    ("Policy", "policies"),
    ("Proxy", "proxies"),
    ("Gateway", "gateways"),
    ("Key", "keys"),
    ("Boy", "boys"),
    ("Guy", "guys"),
    ("Soliloquy", "soliloquies"),
    # -us, -is
    ("Status", "statuses"),
    ("Bus", "buses"),
    ("Campus", "campuses"),
    ("Cactus", "cacti"),
    ("Nucleus", "nuclei"),
    ("Radius", "radii"),
    ("Corpus", "corpora"),
    ("Genus", "genera"),
    ("Analysis", "analyses"),
    ("Diagnosis", "diagnoses"),
    ("Synopsis", "synopses"),
    ("Crisis", "crises"),
    ("Axis", "axes"),
    ("Alias", "aliases"),
    # -f, -fe
    ("Leaf", "leaves"),
    ("Wolf", "wolves"),
    ("Knife", "knives"),
    ("Wife", "wives"),
    ("Dwarf", "dwarfs"),
    ("Hoof", "hoofs"),
    ("Objective", "objectives"),
    ("Hive", "hives"),
    # -o
    ("Hero", "heroes"),
    ("Potato", "potatoes"),
    ("Photo", "photos"),
    ("Piano", "pianos"),
    ("Radio", "radios"),
    ("Zoo", "zoos"),
    # Latin and Greek
    ("Index", "indices"),
    ("Vertex", "vertices"),
    ("Matrix", "matrices"),
    ("Appendix", "appendices"),
    ("Datum", "data"),
    ("Medium", "media"),
    ("Stadium", "stadiums"),
    ("Criterion", "criteria"),
    ("Polyhedron", "polyhedra"),
    ("Bureau", "bureaus"),
    ("Chateau", "chateaux"),
    ("Formula", "formulas"),
    ("Nebula", "nebulae"),
    ("Vertebra", "vertebrae"),
    # irregular
    ("Person", "people"),
    ("Child", "children"),
    ("Man", "men"),
    ("Woman", "women"),
    ("Human", "humans"),
    ("Mouse", "mice"),
    ("Goose", "geese"),
    ("Tooth", "teeth"),
    ("Foot", "feet"),
    ("Ox", "oxen"),
    ("Die", "dice"),
    ("House", "houses"),
    ("Movie", "movies"),
    # uncountable and identical plurals
    ("Equipment", "equipment"),
    ("Information", "information"),
    ("Money", "money"),
    ("News", "news"),
    ("Sheep", "sheep"),
    ("Deer", "deer"),
    ("Fish", "fish"),
    ("Aircraft", "aircraft"),
    ("Species", "species"),
    ("Series", "series"),
    ("Police", "police"),
    # acronyms: kro lower-cases the kind first
    ("API", "apis"),
    ("SSH", "sshs"),
    ("VPN", "vpns"),
    ("ID", "ids"),
    # compound words take the rule of their last word
    ("Firewoman", "firewomen"),
    ("Salesperson", "salespeople"),
    ("Database", "databases"),
    ("Userdatum", "userdata"),
]


@pytest.mark.parametrize(("kind", "plural"), KINDS)
def test_kind_plural_is_flects(kind: str, plural: str) -> None:
    assert plural_of(kind) == plural
    if plural != "ids":  # "IDS" is an acronym of its own to flect
        assert pluralize(plural) == plural, "a plural is left alone"


def test_the_table_covers_at_least_sixty_kinds() -> None:
    assert len({kind for kind, _ in KINDS}) >= 60


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("GoodBoy", "GoodBoys"),
        ("Axis", "Axes"),
        ("user_profile", "user_profiles"),
        ("DNS", "DNSes"),
        ("", ""),
    ],
)
def test_pluralize_keeps_flects_casing_and_word_split(word: str, plural: str) -> None:
    assert pluralize(word) == plural

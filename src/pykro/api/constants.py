"""Validation constants of the RGD API (§1.1, §4.2).

Shared by the parser (`pykro.api.rgd`) and the CRD manifest (`pykro.api.crd`) so the
admission rules the API server would enforce and the ones pykro enforces locally cannot drift.
"""

from __future__ import annotations

GROUP = "kro.run"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "ResourceGraphDefinition"
PLURAL = "resourcegraphdefinitions"
SINGULAR = "resourcegraphdefinition"
SHORT_NAME = "rgd"

KIND_PATTERN = r"^[A-Z][a-zA-Z0-9]{0,62}$"
SCHEMA_API_VERSION_PATTERN = r"^v[0-9]+(alpha[0-9]+|beta[0-9]+)?$"
# Group is a DNS subdomain; the upstream CRD leaves it unconstrained, but the CRD that the
# group ends up in would be rejected by the API server, so pykro checks it early.
GROUP_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
GROUP_MAX_LENGTH = 253
DEFAULT_GROUP = GROUP
SCOPES = ("Namespaced", "Cluster")
DEFAULT_SCOPE = "Namespaced"

NAME_LIST_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"  # shortNames and categories items
NAME_LIST_MAX_ITEMS = 32
NAME_LIST_ITEM_MAX_LENGTH = 63

RESOURCE_ID_PATTERN = r"^[a-z][a-zA-Z0-9]*$"

ONE_OF_TEMPLATE_MESSAGE = "exactly one of template or externalRef must be provided"
ONE_OF_TEMPLATE_RULE = (
    "(has(self.template) && !has(self.externalRef)) || (!has(self.template) && has(self.externalRef))"
)
ONE_OF_NAME_MESSAGE = "exactly one of name or selector must be provided"
ONE_OF_NAME_RULE = "(has(self.name) && !has(self.selector)) || (!has(self.name) && has(self.selector))"
IMMUTABLE_RULE = "self == oldSelf"

KRO_RESERVED_WORDS = frozenset(
    """apiVersion context dependency dependencies each externalRef externalReference externalRefs
    externalReferences graph instance item items kind kro metadata namespace object resource
    resourcegraphdefinition resourceGraphDefinition resources root runtime schema self serviceAccountName
    spec status this variables vars version""".split()
)
CEL_RESERVED_WORDS = frozenset(
    """true false null in as break const continue else for function if import let loop package
    namespace return var void while""".split()
)
RESERVED_WORDS = KRO_RESERVED_WORDS | CEL_RESERVED_WORDS

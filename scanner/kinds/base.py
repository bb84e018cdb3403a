"""The declaration types of a resource kind (`Kind`, its `KeyRef` and `Detail`s): what
the kind modules (`scanner.kinds.core`, `scanner.kinds.services.*`) import, so that they
need not import the package that collects them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.inventory import ServiceResource
from scanner.inventory_base import Model

READER = "the Reader role on the subscription"


@dataclass(frozen=True)
class KeyRef:
    """Where a resource names the key that encrypts it (declared field names).

    Either `uri` (a full key URI, with or without version), or `vault` + `name` (+
    `version`) for bodies that split them (`keyVaultUri` + `keyName`), or `des` (a disk
    encryption set id whose active key is the key).
    """

    uri: str | None = None
    vault: str | None = None
    name: str | None = None
    version: str | None = None
    des: str | None = None


@dataclass(frozen=True, eq=False)
class Detail:
    """A read per item that its list does not carry (a GET of the item, or of a child).

    Its fields join the item's declared fields. A failed detail read is a collection
    error of the kind on that item (its checks are `unknown` there, never a pass).
    """

    name: str
    path: str
    """Appended to the item's id: `""` reads the item itself (lists thinner than GETs),
    `/encryptionProtector/current` a child."""
    fields: Mapping[str, str]
    """Field name -> JSON path in the detail's body."""
    api_version: str | None = None
    """Defaults to the kind's."""
    permission: str | None = None
    example: str | None = None
    """The published example its api-version is held to."""


@dataclass(frozen=True, eq=False)
class Kind:
    """One resource kind: an ARM list and what its items become."""

    name: str
    """The inventory list (and check kind, and collector name in `Inventory.errors`)."""
    arm_type: str
    """As ARM spells it (`Microsoft.Storage/storageAccounts`); `*` for the generic list."""
    api_version: str
    title: str
    """What a person calls it (coverage tables)."""
    model: type[Model] = ServiceResource
    list_path: str | None = None
    """After `/subscriptions/<id>`; defaults to `/providers/<arm_type>`."""
    permission: str | None = None
    """What a 403 means is missing; defaults to `<arm_type>/read`."""
    mapper: str | None = None
    """A function of `scanner.collectors.normalize` `(body, subscription_id) -> model`;
    None for a `ServiceResource` kind, mapped from `fields`."""
    fields: Mapping[str, str] = field(default_factory=dict)
    """`ServiceResource` kinds: field name -> JSON path in the body (`properties.x.y`,
    case-insensitive as Azure Policy aliases are; `sku.name` and `kind` are top level)."""
    key: KeyRef | None = None
    """Where the resource names its customer-managed key (resolved to a vault or HSM)."""
    graph: bool = True
    """Resource Graph's `Resources` table carries this type (with `properties`)."""
    gated: bool = False
    """Listed only in subscriptions whose resource list shows the type (or from the one
    Resource Graph stream): a tenant without the service makes no read for it."""
    details: tuple[Detail, ...] = ()
    """`ServiceResource` kinds: reads per item whose fields join the item's."""
    followups: tuple[str, ...] = ()
    """Functions of `scanner.collectors.followups` `(kind, items, subscription_id,
    collection) -> tasks` run after the list."""
    stores_itself: bool = False
    """Its follow-up stores the items (merged with what it read), not the list."""
    collector: str | None = None
    """Name its errors are recorded under, when it differs from `name`."""
    parent: str | None = None
    """A child kind, listed per item of this kind (`list_path` appended to the item's id:
    a storage account's `/encryptionScopes`) instead of per subscription."""
    merged: bool = False
    """Every subscription lists its own copy of inherited items (management-group policy,
    role assignments): one item per id, with the subscriptions that listed it."""
    judged: bool = True
    """Its items are resources checks judge (a list the engine reports `unknown` for,
    per subscription, when it could not be read)."""
    sdk: str | None = None
    """The azure-mgmt operation it is held to: `module:Client attribute.method`."""
    example: str | None = None
    """The published example (fixtures/azure-examples*/) its api-version is held to."""
    logs: str | None = None
    """Sub-resource suffix whose diagnostic settings carry its logs (`""`: itself);
    None when the type has no resource logs."""
    holds_data: bool = True
    """A store of customer data at rest (CJI): its step-2 verdict is about its own key.
    Not: key stores, disk encryption sets, virtual machines (their disks are the
    stores), policy and access objects."""

    @property
    def path(self) -> str:
        return self.list_path if self.list_path is not None else f"/providers/{self.arm_type}"

    @property
    def type(self) -> str:
        """The ARM type lower-cased, as the inventory holds it."""
        return self.arm_type.lower()

    @property
    def remedy(self) -> str:
        return f"{READER} ({self.permission or self.arm_type + '/read'})"

    @property
    def error_name(self) -> str:
        """Name of its entries in `Inventory.errors`."""
        return self.collector or self.name

    def url(self, subscription_id: str) -> str:
        """The list's path for one subscription."""
        return f"/subscriptions/{subscription_id}{self.path}"



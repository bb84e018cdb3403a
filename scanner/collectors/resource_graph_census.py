"""What Resource Graph left out: the query stream checked against ARM's resource list.

Resource Graph answers with what the principal can read and leaves out the rest without
saying so (Learn: "Azure Resource Graph overview: permissions in Azure Resource Graph";
"Troubleshoot errors using Azure Resource Graph"). That covers a subscription the
principal has no Reader on, a resource group it can read only in part, a resource type it
may not read, and a resource created a moment ago (Resource Graph follows ARM's changes
with a delay). Its response gives no permission information per subscription. An empty
answer for a subscription looks the same as an empty subscription, and comparing the
request's `subscriptions` with the subscription ids in the rows cannot tell them apart.

So with `--source graph|auto` each subscription's resource groups and generic resources
are still ARM's own lists (Resource Groups - List, Resources - List: one read per 1,000
items, both needing Reader at subscription scope). ARM's generic list is the record of
what exists. When the collection ends, the census compares the stream with it:

- a resource ARM lists, of a kind the stream fills, that the stream did not return makes
  that kind an error of its subscription (`ResourceGraphIncomplete`), so its findings
  there are `unknown`, never "no resources";
- a subscription whose ARM resource list could not be read (a 403 at subscription scope
  means the principal's view is partial) makes every kind the stream fills an error of
  that subscription: nothing confirms what the stream returned there.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from scanner.collectors.resource_graph import TYPED
from scanner.inventory import CollectionError

if TYPE_CHECKING:
    from scanner.collectors.tasks import Collection

CODE = "ResourceGraphIncomplete"
UNCONFIRMED = "ResourceGraphUnconfirmed"
REMEDY = ("give the scanner's identity Reader on the whole subscription (Resource Graph "
          "returns only what it can read, and lags changes), or scan with --source arm")
SHOWN = 3
"""Ids named in an error's message (the count is always given)."""


def reconcile(collection: Collection, subscriptions: list[str]) -> None:
    """Record an error for each kind and subscription that the stream returned less of
    than ARM lists, or that ARM's list could not confirm. Call it once the collection
    has run."""
    stream_kinds = sorted(collection.from_graph)
    if not stream_kinds:
        return  # `arm`, or `auto` fell back to the ARM lists: nothing came from the stream
    errors = list(collection.errors)
    already = {(e.collector, e.scope) for e in errors}
    unlisted = {e.scope: e for e in errors
                if e.collector == "resources" and e.scope.count("/") == 2}
    returned = {kind: {item.id for item in collection.lists.get(kind, ())}
                for kind in stream_kinds}
    dropped = {e.scope for e in errors}  # a malformed row is an error under its own id
    missing: dict[tuple[str, str], list[str]] = defaultdict(list)
    listed: dict[str, int] = defaultdict(int)
    for resource in collection.lists.get("resources", ()):
        listed[resource.subscription_id] += 1
        typed = TYPED.get(resource.type)
        if typed is not None and typed.name in returned \
                and resource.id not in returned[typed.name] and resource.id not in dropped:
            missing[(resource.subscription_id, typed.name)].append(resource.id)
    for sub in subscriptions:
        scope = f"/subscriptions/{sub}"
        for kind in stream_kinds:
            if (kind, scope) in already:
                continue  # the stream's own failure says more
            if scope in unlisted:
                collection.add_error(_unconfirmed(kind, unlisted[scope]))
            elif (sub, kind) in missing:
                collection.add_error(_missing(kind, scope, sorted(missing[(sub, kind)]),
                                              listed[sub]))


def _missing(kind: str, scope: str, ids: list[str], listed: int) -> CollectionError:
    shown = ", ".join(ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN
                                      else "")
    return CollectionError(
        scope=scope, collector=kind, code=CODE, remedy=REMEDY,
        message=(f"Resource Graph did not return {len(ids)} of the resources ARM lists in "
                 f"this subscription ({listed} listed), so {kind} here is not fully "
                 f"judged: {shown}")[:500])


def _unconfirmed(kind: str, cause: CollectionError) -> CollectionError:
    status = f"HTTP {cause.status}" if cause.status else cause.code or "no response"
    return CollectionError(
        scope=cause.scope, collector=kind, status=cause.status, code=UNCONFIRMED,
        remedy=cause.remedy,
        message=(f"Resource Graph's answer could not be checked: ARM's resource list of "
                 f"this subscription failed ({status}: {cause.message})")[:500])

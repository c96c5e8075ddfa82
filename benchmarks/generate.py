"""Realistic synthetic sessions of any size, the same for the same numbers and seed.

    python -m benchmarks.generate OUT.yaml --events 10000 --contexts 300

Events read like a storm's (a subject and a past-tense verb), most are sorted into
contexts in runs the way a room sorts them, some carry commands, actors and fields;
policies mostly cross contexts (so there are flows over the bus); shared resources are
owned by the platform or by a context earlier in the list (so the deploy graph has
several waves and no cycle); a few hotspots stay open.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from model.session import Context, Event, Hotspot, Policy, Resource, Session
from model.sessionfile import save_session

SUBJECTS = (
    "Order", "Payment", "Invoice", "Shipment", "Parcel", "Refund", "Basket", "Customer", "Account", "Coupon",
    "Stock", "Price", "Review", "Return", "Subscription", "Ticket", "Booking", "Driver", "Route", "Claim",
)  # fmt: skip
VERBS = (  # what happened, and the command that makes it happen
    ("Placed", "Place"), ("Paid", "Pay"), ("Cancelled", "Cancel"), ("Approved", "Approve"), ("Rejected", "Reject"),
    ("Shipped", "Ship"), ("Delivered", "Deliver"), ("Reserved", "Reserve"), ("Released", "Release"),
    ("Created", "Create"), ("Updated", "Update"), ("Closed", "Close"), ("Opened", "Open"), ("Renewed", "Renew"),
    ("Assigned", "Assign"), ("Completed", "Complete"),
)  # fmt: skip
DOMAINS = ("orders", "billing", "shipping", "catalog", "identity", "support", "pricing", "returns", "fleet", "claims")
ACTORS = ("Customer", "Clerk", "Courier", "Scheduler", "Manager", "Partner")
KINDS = ("user-pool", "bucket", "table", "queue", "topic", "secret")
FIELD_TYPES = ("string", "number", "integer", "boolean")


def synthetic_session(
    events: int,
    contexts: int,
    *,
    policies: int | None = None,
    resources: int | None = None,
    hotspots: int | None = None,
    seed: int = 2026,
) -> Session:
    """`events` events in `contexts` contexts; the other counts default to sizes seen in big storms."""
    rng = random.Random(seed)
    policies = events // 4 if policies is None else policies
    resources = max(1, contexts // 10) if resources is None else resources
    hotspots = events // 50 if hotspots is None else hotspots
    context_ids = [f"{DOMAINS[number % len(DOMAINS)]}-{number // len(DOMAINS) + 1}" for number in range(contexts)]
    shared = [
        Resource(
            id=f"{KINDS[number % len(KINDS)]}-{number + 1}",
            kind=KINDS[number % len(KINDS)],
            # Owned by the platform or by a context in the first half, used only by later ones: no cycle.
            owner=context_ids[rng.randrange(contexts // 2)] if contexts > 1 and rng.random() < 0.3 else "platform",
        )
        for number in range(resources)
    ]
    owner_position = {
        resource.id: context_ids.index(resource.owner) for resource in shared if resource.owner in context_ids
    }
    made_contexts = []
    for position, context_id in enumerate(context_ids):
        usable = [item.id for item in shared if owner_position.get(item.id, -1) < position]
        uses = tuple(sorted(rng.sample(usable, min(len(usable), rng.randrange(3))))) if usable else ()
        made_contexts.append(
            Context(id=context_id, name=context_id.replace("-", " ").title(), owner=f"team-{position % 40}", uses=uses)
        )
    made_events = []
    context = None
    for number in range(events):
        if contexts and (context is None or rng.random() < 0.3):  # rooms sort in runs, not at random
            context = context_ids[rng.randrange(contexts)]
        subject, (verb, command) = rng.choice(SUBJECTS), rng.choice(VERBS)
        made_events.append(
            Event(
                name=f"{subject} {number + 1} {verb}",
                context=None if rng.random() < 0.03 else context,
                command=f"{command} {subject}" if rng.random() < 0.6 else None,
                actor=rng.choice(ACTORS) if rng.random() < 0.4 else None,
                aggregate=subject if rng.random() < 0.5 else None,
                pivotal=rng.random() < 0.02,
                fields={f"{subject.lower()}Id": "string", "at": rng.choice(FIELD_TYPES)}
                if rng.random() < 0.5
                else None,
            )
        )
    made_policies = []
    for number in range(min(policies, events)):
        event = made_events[rng.randrange(events)]
        made_policies.append(
            Policy(when=event.name, then=f"React {number + 1}", context=context_ids[rng.randrange(contexts)])
        )
    made_hotspots = tuple(
        Hotspot(text=f"Open question {number + 1}?", about=made_events[rng.randrange(events)].name)
        for number in range(min(hotspots, events))
    )
    return Session(
        name=f"Synthetic {events} events",
        app="synthetic",
        contexts=tuple(made_contexts),
        events=tuple(made_events),
        policies=tuple(made_policies),
        infrastructure=tuple(shared),
        hotspots=made_hotspots,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--contexts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    save_session(synthetic_session(options.events, options.contexts, seed=options.seed), options.out)


if __name__ == "__main__":
    main()

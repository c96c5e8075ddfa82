"""Files written from the derived architecture: manifests, templates, contracts, diagrams."""

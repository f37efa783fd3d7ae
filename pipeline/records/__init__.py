"""Records across releases: events, deals, organisations and people (the `records` stage)."""

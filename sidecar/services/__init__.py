"""Use cases of Quorum: what the web, the CLI and the scheduler call; no Flask here."""

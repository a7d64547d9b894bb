//! docs/operations.md's "## Operations analytics" against the shipped settings.

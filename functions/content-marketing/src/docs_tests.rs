//! docs/marketing.md "## Content" against the shipped settings.

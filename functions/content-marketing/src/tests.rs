//! Content Marketing through an in-memory twin.

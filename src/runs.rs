//! Run discovery.

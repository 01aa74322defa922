//! Statistics, computed once here and never in parsers or renderers.

pub mod histogram;
pub mod load;
pub mod resources;

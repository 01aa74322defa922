//! Rendering computed summaries. Renderers take summaries and return text; they never parse
//! inputs or compute statistics, and they never touch the file system.

pub mod capacity;
pub mod capacity_view;
pub mod charts;
pub mod compare;
pub mod format;
pub mod html;
pub mod json;
pub mod markdown;
pub mod site;
pub mod table;
pub mod text;

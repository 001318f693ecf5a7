//! netra serve
#![deny(missing_docs)]

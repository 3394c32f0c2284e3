//! SmartView, Polars and plotters, linked once for the notebooks' Rust kernel.
//!
//! A notebook's first cell depends on this crate and brings the three libraries into
//! scope under their own names:
//!
//! ```ignore
//! :dep smartview-kernel = { path = "kernel" }
//! use smartview_kernel::{plotters, polars, smartview};
//! use smartview::prelude::*;
//! ```
//!
//! Everything a cell calls then lives in this one shared object, so frames, lazy
//! plans and charts pass between cells intact. The crate adds no code of its own.

pub use plotters;
pub use polars;
pub use smartview;

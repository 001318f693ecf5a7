//! Treatment sequences over a cohort (filled in below).

//! Fine-Gray (to come).

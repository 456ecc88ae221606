//! Домашние задания: hand-ins and files.

pub mod model;
pub mod service;
pub mod store;

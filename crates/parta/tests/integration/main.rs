#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Black-box tests: a real server on a free port over a fresh database per test,
//! SQLite by default, PostgreSQL when `TEST_DATABASE_URL=postgres://…` is set.
//! One test binary, so the workspace links once.

mod access;
mod admin;
mod api;
mod auth;
mod chats;
mod cli;
mod cluster;
mod delivery;
mod files;
mod fixtures;
mod harness;
mod jobs;
mod links;
mod oidc;
mod pages;
mod personal_data;
mod push;
mod roster;
mod rostering;
mod schema;
mod school_day;
mod today;
mod video;

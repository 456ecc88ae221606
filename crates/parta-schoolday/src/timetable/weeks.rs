//! The lessons of a class's week, kept in memory: every student and parent of a class
//! opens the same week of the diary, and the lessons (with their teachers, bells and
//! homework) are most of what the diary reads. Per-student facts (marks, absences,
//! hand-ins) are never kept here.
//!
//! A write that changes lessons forgets its class (or everything, for calendar and bell
//! changes) after it commits; a reader that started before the write does not put its
//! older copy back (generations). Other nodes of a cluster hear of it on the bus
//! (`weeks.forget`, `weeks.forget_all`) and forget theirs at once; `TTL` bounds a copy's
//! age should a message be lost (the bus is down).

use crate::model::Lesson;
use chrono::NaiveDate;
use parta_core::ids::ClassId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(5);
/// A week of a class is ~25 KB (30 lessons with names, topics and homework), so at most
/// ~125 MB: the current week of every class of a 100,000-student region (4,037 classes).
/// Past this, stale weeks are dropped, and if that is not enough, everything.
const MAX_WEEKS: usize = 5_000;

#[derive(Clone, Default)]
pub(crate) struct ClassWeeks {
    inner: Arc<Mutex<Inner>>,
    bus: parta_bus::Bus,
}

#[derive(Default)]
pub(crate) struct Inner {
    /// Bumped when everything is forgotten.
    epoch: u64,
    classes: HashMap<ClassId, ClassEntry>,
    weeks: usize,
}

#[derive(Default)]
pub(crate) struct ClassEntry {
    generation: u64,
    weeks: HashMap<NaiveDate, (Instant, Arc<Vec<Lesson>>)>,
}

/// What a reader saw before going to the database: its copy is kept only if nothing was
/// forgotten in between.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64, u64);

impl ClassWeeks {
    pub(crate) fn get(
        &self,
        class: ClassId,
        monday: NaiveDate,
    ) -> (Option<Arc<Vec<Lesson>>>, Ticket) {
        let Ok(inner) = self.inner.lock() else {
            return (None, Ticket(u64::MAX, u64::MAX));
        };
        let entry = inner.classes.get(&class);
        let ticket = Ticket(inner.epoch, entry.map_or(0, |e| e.generation));
        let hit = entry
            .and_then(|e| e.weeks.get(&monday))
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, lessons)| lessons.clone());
        (hit, ticket)
    }

    pub(crate) fn put(
        &self,
        class: ClassId,
        monday: NaiveDate,
        ticket: Ticket,
        lessons: Arc<Vec<Lesson>>,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let generation = inner.classes.get(&class).map_or(0, |e| e.generation);
        if ticket != Ticket(inner.epoch, generation) {
            return;
        }
        if inner.weeks >= MAX_WEEKS {
            inner.drop_stale();
            if inner.weeks >= MAX_WEEKS {
                inner.forget_all();
                return;
            }
        }
        let entry = inner.classes.entry(class).or_default();
        if entry
            .weeks
            .insert(monday, (Instant::now(), lessons))
            .is_none()
        {
            inner.weeks += 1;
        }
    }

    /// Tells the other nodes of every forget and forgets what they tell.
    pub(crate) fn with_bus(mut self, bus: parta_bus::Bus) -> Self {
        let weeks = self.clone();
        bus.on("weeks.forget", move |payload| {
            if let Some(class) = std::str::from_utf8(payload)
                .ok()
                .and_then(|s| s.parse::<ClassId>().ok())
            {
                weeks.forget_here(class);
            }
        });
        let weeks = self.clone();
        bus.on("weeks.forget_all", move |_| weeks.forget_all_here());
        self.bus = bus;
        self
    }

    /// After a write to a class's lessons commits: here and on every node.
    pub(crate) fn forget(&self, class: ClassId) {
        self.forget_here(class);
        self.bus.publish("weeks.forget", class.to_string());
    }

    /// After a change that reaches every class of a school (calendar, bells): here and on
    /// every node.
    pub(crate) fn forget_all(&self) {
        self.forget_all_here();
        self.bus.publish("weeks.forget_all", "");
    }

    fn forget_here(&self, class: ClassId) {
        if let Ok(mut inner) = self.inner.lock() {
            let entry = inner.classes.entry(class).or_default();
            entry.generation += 1;
            let dropped = entry.weeks.len();
            entry.weeks.clear();
            inner.weeks -= dropped;
        }
    }

    fn forget_all_here(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.forget_all();
        }
    }
}

impl Inner {
    /// Drops weeks older than `TTL` (a class keeps its generation).
    pub(crate) fn drop_stale(&mut self) {
        let mut left = 0;
        for entry in self.classes.values_mut() {
            entry.weeks.retain(|_, (at, _)| at.elapsed() < TTL);
            left += entry.weeks.len();
        }
        self.weeks = left;
    }

    pub(crate) fn forget_all(&mut self) {
        self.epoch += 1;
        self.classes.clear();
        self.weeks = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    pub(crate) fn a_reader_older_than_a_write_does_not_put_its_copy_back() {
        let weeks = ClassWeeks::default();
        let class = ClassId::new();
        let (hit, ticket) = weeks.get(class, monday());
        assert!(hit.is_none());
        weeks.forget(class); // a write commits while the reader is in the database
        weeks.put(class, monday(), ticket, Arc::new(Vec::new()));
        assert!(weeks.get(class, monday()).0.is_none());
        let (_, fresh) = weeks.get(class, monday());
        weeks.put(class, monday(), fresh, Arc::new(Vec::new()));
        assert!(weeks.get(class, monday()).0.is_some());
        weeks.forget_all();
        assert!(weeks.get(class, monday()).0.is_none());
        weeks.put(class, monday(), fresh, Arc::new(Vec::new()));
        assert!(
            weeks.get(class, monday()).0.is_none(),
            "older than forget_all"
        );
    }

    #[test]
    pub(crate) fn forgetting_one_class_keeps_the_others() {
        let weeks = ClassWeeks::default();
        let (a, b) = (ClassId::new(), ClassId::new());
        for c in [a, b] {
            let (_, t) = weeks.get(c, monday());
            weeks.put(c, monday(), t, Arc::new(Vec::new()));
        }
        weeks.forget(a);
        assert!(weeks.get(a, monday()).0.is_none());
        assert!(weeks.get(b, monday()).0.is_some());
    }
}

//! How long chats keep their messages (config `[chats]`, by the chat's kind; ADR 0022):
//! older ones are deleted daily with what hangs on them, except those with a complaint
//! still open.

use crate::model::ChatKind;
use crate::search::Change;
use crate::service::Chats;
use crate::store;
use parta_core::time::now_ms;
use parta_core::Problem;

impl Chats {
    /// Deletes messages older than their chat's kind keeps them (config `[chats]`), a
    /// chat at a time in steps of a few thousand, with what hangs on them, and takes them
    /// out of the search index; then files no longer referred to. Answers how many
    /// messages were deleted. Run daily by the process's housekeeping.
    pub async fn apply_retention(&self) -> Result<u64, Problem> {
        const STEP: i64 = 5000;
        let r = self.retention;
        let now = now_ms();
        let mut deleted = 0;
        for (kind, days) in [
            (ChatKind::ClassStudents, r.class_days),
            (ChatKind::ClassParents, r.class_days),
            (ChatKind::SubjectGroup, r.class_days),
            (ChatKind::StaffRoom, r.staff_room_days),
            (ChatKind::Personal, r.personal_days),
            (ChatKind::SchoolChannel, r.channel_days),
            (ChatKind::ClassChannel, r.channel_days),
            (ChatKind::TeacherChannel, r.channel_days),
            (ChatKind::Community, r.community_days),
            (ChatKind::Broadcast, r.channel_days),
        ] {
            if days == 0 {
                continue;
            }
            let before = now - i64::from(days) * 86_400_000;
            for (chat, purged, cut) in store::expired(&self.db, kind, before).await? {
                let mut from = purged;
                while from < cut {
                    let to = (from + STEP).min(cut);
                    let mut tx = self.db.begin_write().await?;
                    deleted += store::purge(&mut tx, chat, from, to).await?;
                    tx.commit().await?;
                    for seq in from + 1..=to {
                        self.index.feed(Change::Remove { chat, seq });
                    }
                    from = to;
                }
            }
        }
        let longest = [
            r.class_days,
            r.staff_room_days,
            r.personal_days,
            r.channel_days,
            r.community_days,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        if longest > 0 {
            store::purge_scheduled(&self.db, now - i64::from(longest) * 86_400_000).await?;
        }
        if deleted > 0 {
            self.sweep_files().await?;
        }
        Ok(deleted)
    }
}

//! Демо-регион: the showcase class's chats and the school's staff room with recent,
//! plausible messages, so that `parta serve --demo` opens on a living school
//! (`parta_gen` builds the registry; this fills what the chats own).

use crate::model::ChatKind;
use crate::{registry_reads, store};
use parta_core::ids::{ClassId, PersonId};
use parta_core::time::now_ms;
use parta_core::Problem;
use parta_db::Db;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Who writes a demo message: the class teacher, the n-th student or parent of the class,
/// the school's head or the n-th colleague.
#[derive(Clone, Copy)]
enum Who {
    Teacher,
    Student(usize),
    Parent(usize),
    Head,
    Colleague(usize),
}

/// (how long ago, who, text, urgent)
type Line = (i64, Who, &'static str, bool);

const STUDENTS: &[Line] = &[
    (2 * DAY + 3 * HOUR, Who::Teacher, "Ребята, добрый день! Напоминаю: в пятницу контрольная работа по математике, тема — обыкновенные дроби.", false),
    (2 * DAY + 2 * HOUR + 50 * MINUTE, Who::Student(0), "А таблицей умножения можно будет пользоваться?", false),
    (2 * DAY + 2 * HOUR + 40 * MINUTE, Who::Teacher, "Нет, таблицу нужно знать наизусть. Повторите параграфы 12–14, там всё есть.", false),
    (DAY + 4 * HOUR, Who::Student(1), "Кто-нибудь записал домашнее задание по русскому? Упражнение 125 или 126?", false),
    (DAY + 3 * HOUR + 55 * MINUTE, Who::Student(2), "125, и ещё выучить правило на странице 64.", false),
    (DAY + 3 * HOUR + 50 * MINUTE, Who::Student(1), "Спасибо!", false),
    (3 * HOUR, Who::Teacher, "Завтра экскурсия в краеведческий музей. Сбор в 8:40 у главного входа, возьмите с собой блокнот и ручку.", false),
];

const PARENTS: &[Line] = &[
    (3 * DAY + 5 * HOUR, Who::Teacher, "Уважаемые родители! Родительское собрание — в четверг в 18:00 в кабинете 12. Тема: итоги первой четверти и поездка в музей. Пожалуйста, подтвердите, что прочитали.", true),
    (3 * DAY + 4 * HOUR, Who::Parent(0), "Спасибо, будем.", false),
    (2 * DAY + 6 * HOUR, Who::Parent(1), "Можно подключиться к собранию по видеосвязи? Я на работе до семи.", false),
    (2 * DAY + 5 * HOUR, Who::Teacher, "Да, ссылку пришлю в день собрания.", false),
    (5 * HOUR, Who::Parent(2), "Подскажите, на экскурсию нужно сдавать деньги?", false),
    (4 * HOUR + 30 * MINUTE, Who::Teacher, "Нет, экскурсия бесплатная: её оплачивает школа. Нужна только сменная обувь.", false),
];

const STAFF: &[Line] = &[
    (
        DAY + 6 * HOUR,
        Who::Head,
        "Коллеги, педагогический совет переносится на пятницу, 15:00, актовый зал.",
        false,
    ),
    (
        DAY + 5 * HOUR,
        Who::Colleague(0),
        "Принято, спасибо.",
        false,
    ),
    (
        DAY + 4 * HOUR,
        Who::Colleague(1),
        "Подскажите, проектор в актовом зале починили?",
        false,
    ),
    (
        DAY + 3 * HOUR,
        Who::Head,
        "Да, завхоз проверил вчера.",
        false,
    ),
    (
        6 * HOUR,
        Who::Head,
        "Напоминаю: до конца недели выставить отметки за четверть в электронном журнале.",
        true,
    ),
];

/// Новости школы: the head's posts; a parent's comment on the last one (comments on).
const NEWS: &[Line] = &[
    (
        4 * DAY + 2 * HOUR,
        Who::Head,
        "Уважаемые родители и ученики! С понедельника столовая работает по новому графику: завтрак после второго урока, обед после пятого.",
        false,
    ),
    (
        DAY + 2 * HOUR,
        Who::Head,
        "В субботу в 11:00 — школьная ярмарка в спортивном зале. Приглашаем всех! Вырученные средства пойдут на новые книги для библиотеки.",
        false,
    ),
];
const NEWS_COMMENT: &str = "Спасибо! Можно ли принести на ярмарку выпечку?";

/// Канал класса: the class teacher's posts.
const CLASS_NEWS: &[Line] = &[(
    2 * DAY + HOUR,
    Who::Teacher,
    "Расписание консультаций перед контрольными: вторник и четверг после седьмого урока, кабинет 12.",
    false,
)];

/// Fills the showcase class's chats (its students', its parents') and its school's staff
/// room, if they have no messages yet.
pub async fn seed(db: &Db, class: ClassId) -> Result<(), Problem> {
    let Some((_, org, class_name)) = registry_reads::classes(db, &[class]).await?.pop() else {
        return Ok(());
    };
    let Some(teacher) = registry_reads::class_teacher(db, class).await? else {
        return Ok(());
    };
    let school = registry_reads::schools(db, &[org])
        .await?
        .pop()
        .map(|s| s.1)
        .unwrap_or_default();
    let students: Vec<PersonId> = registry_reads::students_of(db, &[class])
        .await?
        .into_iter()
        .map(|p| p.0)
        .collect();
    let parents: Vec<PersonId> = registry_reads::parents_of(db, &[class])
        .await?
        .into_iter()
        .map(|p| p.0)
        .filter(|p| *p != teacher)
        .collect();
    let admins = registry_reads::admins_of(db, org).await?;
    let colleagues: Vec<PersonId> = registry_reads::staff_of(db, &[org])
        .await?
        .into_iter()
        .map(|p| p.0)
        .filter(|p| !admins.contains(p))
        .collect();
    let head = admins.first().copied().unwrap_or(teacher);
    let who = |w: Who| -> Option<PersonId> {
        match w {
            Who::Teacher => Some(teacher),
            Who::Student(i) => students.get(i).copied(),
            Who::Parent(i) => parents.get(i).copied(),
            Who::Head => Some(head),
            Who::Colleague(i) => colleagues.get(i).copied(),
        }
    };
    let now = now_ms();
    let chats = [
        (
            ChatKind::ClassStudents,
            Some(class),
            class_name.clone(),
            STUDENTS,
        ),
        (
            ChatKind::ClassParents,
            Some(class),
            class_name.clone(),
            PARENTS,
        ),
        (ChatKind::StaffRoom, None, school.clone(), STAFF),
        (ChatKind::SchoolChannel, None, school, NEWS),
        (
            ChatKind::ClassChannel,
            Some(class),
            class_name.clone(),
            CLASS_NEWS,
        ),
    ];
    let mut tx = db.begin_write().await?;
    for (kind, class, title, _) in &chats {
        let w = crate::Wanted {
            kind: *kind,
            org,
            class: *class,
            group: None,
        };
        store::ensure_chat(&mut tx, &w, title, now).await?;
    }
    tx.commit().await?;
    for (kind, class, _, lines) in chats {
        let Some(id) = store::chat_by_key(db, &kind.source_key(org, class)).await? else {
            continue;
        };
        if store::chat(db, id).await?.is_some_and(|c| c.last_seq > 0) {
            continue;
        }
        let mut tx = db.begin_write().await?;
        let mut per_chat = std::collections::BTreeMap::new();
        let mut per_author = std::collections::BTreeMap::new();
        let mut last = 0;
        for (ago, w, text, urgent) in lines {
            let Some(author) = who(*w) else { continue };
            let at = now - ago;
            let m = store::Appended {
                chat: id,
                author,
                text,
                reply_to: None,
                urgent: *urgent,
                poll: None,
                files: None,
                at,
            };
            let seq = store::append(&mut tx, &m).await?;
            last = seq;
            store::mark_read(&mut tx, id, author, seq, at).await?;
            let week = parta_core::time::monday_of_ms(at).to_string();
            *per_chat.entry((week.clone(), id)).or_insert(0) += 1;
            *per_author.entry((week, id, author)).or_insert(0) += 1;
        }
        if kind.is_channel() {
            // Read by some of the class's families (the posts' views), and the school's
            // news open to comments with a parent's.
            for reader in students.iter().take(4).chain(parents.iter().take(3)) {
                store::mark_read(&mut tx, id, *reader, last, now - HOUR).await?;
            }
            if let (ChatKind::SchoolChannel, Some(parent)) = (kind, parents.first()) {
                store::settle(&mut tx, id, Some(false), None, None).await?;
                let m = store::Appended {
                    chat: id,
                    author: *parent,
                    text: NEWS_COMMENT,
                    reply_to: Some(last),
                    urgent: false,
                    poll: None,
                    files: None,
                    at: now - 20 * HOUR,
                };
                let seq = store::append(&mut tx, &m).await?;
                store::mark_read(&mut tx, id, *parent, seq, now - 20 * HOUR).await?;
            }
        } else {
            store::count_activity(db, &mut tx, &per_chat, &per_author).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

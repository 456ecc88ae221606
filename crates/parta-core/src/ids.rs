//! Typed identifiers. Every id is a UUIDv7 stored as text, so the same SQL and the
//! same bindings work on SQLite and PostgreSQL through `sqlx::Any`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Declares a newtype id over [`Uuid`] with text encoding for `sqlx::Any`.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self { Self(uuid::Uuid::now_v7()) }
        }
        impl Default for $name { fn default() -> Self { Self::new() } }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}({})", stringify!($name), self.0) }
        }
        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> { uuid::Uuid::parse_str(s).map(Self) }
        }
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo { <String as sqlx::Type<sqlx::Any>>::type_info() }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool { <String as sqlx::Type<sqlx::Any>>::compatible(ty) }
        }
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.0.to_string(), buf)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(Self(uuid::Uuid::parse_str(&s)?))
            }
        }
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::ids::uuid_schema()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

typed_id!(
    /// Человек: a student, parent, staff member — anyone known to the platform.
    PersonId
);
typed_id!(
    /// Образовательная организация.
    OrganisationId
);
typed_id!(
    /// Муниципальное образование.
    MunicipalityId
);
typed_id!(
    /// Класс («5А»).
    ClassId
);
typed_id!(
    /// Группа (подгруппа класса или межклассная группа).
    GroupId
);
typed_id!(
    /// Учебный год организации.
    AcademicYearId
);
typed_id!(
    /// A sign-in account (учётная запись).
    AccountId
);
typed_id!(
    /// A role held by a person in a scope.
    RoleAssignmentId
);

/// Код субъекта РФ (two digits, e.g. "77" for Moscow).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct RegionCode(pub String);

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

/// Parses a uuid from a path segment; `None` for anything malformed so callers answer 404.
pub fn parse_id<T: FromStr>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// Deterministic id for generated data: same seed and counter, same id.
pub fn seeded_uuid(seed: u64, kind: u8, n: u64) -> Uuid {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&seed.to_be_bytes());
    b[8] = kind;
    b[9..16].copy_from_slice(&n.to_be_bytes()[1..]);
    // Version 8 (custom), RFC 4122 variant.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    Uuid::from_bytes(b)
}

/// OpenAPI schema of an id: a string in UUID format.
pub fn uuid_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

typed_id!(
    /// Урок: one lesson of a class or group on a date.
    LessonId
);
typed_id!(
    /// Отметка.
    MarkId
);
typed_id!(
    /// Учебный период (четверть, триместр, полугодие).
    PeriodId
);
typed_id!(
    /// A slot of the weekly timetable template.
    SlotId
);
typed_id!(
    /// A holiday, vacation or moved working day of a school calendar.
    CalendarDayId
);
typed_id!(
    /// Уведомление.
    NotificationId
);
typed_id!(
    /// A browser's Web Push subscription (a person's device).
    PushSubscriptionId
);
typed_id!(
    /// A file attached to a lesson's homework or to a student's answer.
    AttachmentId
);

typed_id!(
    /// Чат: a class's, a staff room, a personal or a group chat.
    ChatId
);

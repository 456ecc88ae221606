//! Chats, their messages and what a member sees of them. No I/O.

use parta_core::ids::{ChatId, ClassId, GroupId, OrganisationId, PersonId};
use serde::Serialize;
use utoipa::ToSchema;

/// The longest message, in characters (a long announcement fits; a pasted book does not).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// People a group of the contacts page (a big school's staff is cut there; search later).
pub const MAX_CONTACTS: usize = 500;
/// Messages a page of history.
pub const PAGE: i64 = 50;
/// Messages a person may send in [`RATE_WINDOW_SECS`] (a class chat's pace, not a flood).
pub const RATE_MESSAGES: usize = 20;
pub const RATE_WINDOW_SECS: u64 = 10;

/// What a chat is: built from the registry or made by people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// Класс: its students and the class teacher.
    ClassStudents,
    /// Родители класса: the students' parents and the class teacher.
    ClassParents,
    /// Учительская: the school's staff.
    StaffRoom,
    /// A subject group (группа: a class's English group, an elective): its teachers and
    /// students.
    SubjectGroup,
    /// Личная переписка of two people (who may start one: the policy's `StartChat`).
    Personal,
    /// Новости школы: the administration posts; the school's staff, students and their
    /// parents read (without subscribing).
    SchoolChannel,
    /// Канал класса: the class teacher posts; the class's students, parents and teachers
    /// read.
    ClassChannel,
    /// A teacher's own channel (канал учителя): its owner posts; the school's staff and
    /// the students and parents of the classes the owner teaches may subscribe.
    TeacherChannel,
    /// Сообщество: a school's club or interest group (its staff and students), or a
    /// teachers' professional community across a municipality's or a region's schools;
    /// members by name, joined openly, by request or by invitation.
    Community,
    /// Трансляция: a scheduled online lesson or school event with its stream; its chat is
    /// the live comment feed — the school's people (or a class's) watch and comment, its
    /// organiser and the school's administration moderate.
    Broadcast,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::ClassStudents => "class_students",
            ChatKind::ClassParents => "class_parents",
            ChatKind::StaffRoom => "staff_room",
            ChatKind::SubjectGroup => "subject_group",
            ChatKind::Personal => "personal",
            ChatKind::SchoolChannel => "school_channel",
            ChatKind::ClassChannel => "class_channel",
            ChatKind::TeacherChannel => "teacher_channel",
            ChatKind::Community => "community",
            ChatKind::Broadcast => "broadcast",
        }
    }

    pub fn parse(s: &str) -> Option<ChatKind> {
        Some(match s {
            "class_students" => ChatKind::ClassStudents,
            "class_parents" => ChatKind::ClassParents,
            "staff_room" => ChatKind::StaffRoom,
            "subject_group" => ChatKind::SubjectGroup,
            "personal" => ChatKind::Personal,
            "school_channel" => ChatKind::SchoolChannel,
            "class_channel" => ChatKind::ClassChannel,
            "teacher_channel" => ChatKind::TeacherChannel,
            "community" => ChatKind::Community,
            "broadcast" => ChatKind::Broadcast,
            _ => return None,
        })
    }

    /// A channel (канал): posts by its authors, readers comment on a post (when comments
    /// are on), each post's views counted.
    pub fn is_channel(self) -> bool {
        matches!(
            self,
            ChatKind::SchoolChannel | ChatKind::ClassChannel | ChatKind::TeacherChannel
        )
    }

    /// The key a registry-built chat is found by: one per class and kind, one staff room
    /// per school.
    pub fn source_key(self, org: OrganisationId, class: Option<ClassId>) -> String {
        match class {
            Some(c) => format!("{}:{c}", self.as_str()),
            None => format!("{}:{org}", self.as_str()),
        }
    }
}

/// A registry-built chat someone belongs to: what it is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub kind: ChatKind,
    pub org: OrganisationId,
    pub class: Option<ClassId>,
    pub group: Option<GroupId>,
}

impl Wanted {
    /// The key it is found by: one per class and kind, one per group, one staff room per
    /// school.
    pub fn key(&self) -> String {
        match self.group {
            Some(g) => format!("{}:{g}", self.kind.as_str()),
            None => self.kind.source_key(self.org, self.class),
        }
    }
}

/// The key of a teacher's channel: one a teacher in each school they work at.
pub fn teacher_channel_key(org: OrganisationId, owner: PersonId) -> String {
    format!("{}:{org}:{owner}", ChatKind::TeacherChannel.as_str())
}

/// The longest channel title and description, in characters.
pub const MAX_CHANNEL_TITLE: usize = 100;
pub const MAX_CHANNEL_DESCRIPTION: usize = 500;

/// A channel the caller may read, for the channels' page: whether they follow it and
/// whether they may choose (a teacher's channel) or read it as one of its people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelEntry {
    pub id: ChatId,
    pub kind: ChatKind,
    /// The class's name (a class's channel), the school's short name (its news), or the
    /// title its owner gave (a teacher's channel).
    pub title: String,
    pub description: String,
    /// A teacher's channel: its owner's name.
    pub owner: Option<String>,
    /// It is in the caller's list of chats.
    pub subscribed: bool,
    /// The caller subscribes and unsubscribes (a teacher's channel, not its owner).
    pub optional: bool,
    /// The caller posts in it.
    pub author: bool,
    /// Milliseconds since the epoch of its last message (0: none yet).
    pub last_at: i64,
}

/// A new teacher's channel.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct NewChannel {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// A broadcast (трансляция) as its page and the list show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Broadcast {
    /// Its chat: the comment feed (`/api/v1/chats/{id}/messages`).
    pub id: ChatId,
    pub title: String,
    pub description: String,
    /// A class's broadcast (its families and teachers), or the school's (none).
    pub class_id: Option<ClassId>,
    /// The class's name or the school's short name.
    pub audience: String,
    /// Milliseconds since the epoch.
    pub starts_at: i64,
    /// The stream: an HLS address (…m3u8) or an external video room.
    pub stream_url: String,
    /// The recording, once it is over.
    pub recording_url: Option<String>,
    pub ended_at: Option<i64>,
    /// People following its comment feed on this server now.
    pub viewers: i64,
    /// The caller organises it (ends it, gives the recording, moderates the comments).
    pub organiser: bool,
}

/// A new broadcast.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct NewBroadcast {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// When it starts: `2026-12-05T15:00`.
    pub starts_at: String,
    pub stream_url: String,
    /// A class's broadcast (its class teacher, a teacher of it, or the administration);
    /// absent: the school's (the administration).
    #[serde(default)]
    pub class_id: Option<ClassId>,
}

/// The longest stream or recording address.
pub const MAX_URL_CHARS: usize = 500;

/// Whose people find and join a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// Its school's staff and students (a club, a section, an interest group).
    School,
    /// The teachers and administrations of its municipality's schools.
    Municipality,
    /// The teachers and administrations of its region's schools.
    Region,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::School => "school",
            Reach::Municipality => "municipality",
            Reach::Region => "region",
        }
    }
    pub fn parse(s: &str) -> Option<Reach> {
        Some(match s {
            "school" => Reach::School,
            "municipality" => Reach::Municipality,
            "region" => Reach::Region,
            _ => return None,
        })
    }
}

/// How one becomes a community's member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    /// Anyone it reaches joins at once.
    Open,
    /// One asks; a moderator lets them in.
    Request,
    /// A moderator invites; the invited accepts.
    Invite,
}

impl JoinMode {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinMode::Open => "open",
            JoinMode::Request => "request",
            JoinMode::Invite => "invite",
        }
    }
    pub fn parse(s: &str) -> Option<JoinMode> {
        Some(match s {
            "open" => JoinMode::Open,
            "request" => JoinMode::Request,
            "invite" => JoinMode::Invite,
            _ => return None,
        })
    }
}

/// Where someone stands with a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not a member; may join or ask (by its mode).
    Outside,
    Member,
    Moderator,
    /// Asked to join; waits for a moderator.
    Requested,
    /// Invited; joins when they accept.
    Invited,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Outside => "outside",
            Standing::Member => "member",
            Standing::Moderator => "moderator",
            Standing::Requested => "requested",
            Standing::Invited => "invited",
        }
    }
    pub fn parse(s: &str) -> Standing {
        match s {
            "member" => Standing::Member,
            "moderator" => Standing::Moderator,
            "requested" => Standing::Requested,
            "invited" => Standing::Invited,
            _ => Standing::Outside,
        }
    }
}

/// The most communities a person founds (a flood of empty clubs helps nobody).
pub const MAX_FOUNDED_COMMUNITIES: i64 = 20;
/// The most people waiting (requests and invitations) in one community.
pub const MAX_WAITING: i64 = 500;

/// A community in the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityEntry {
    pub id: ChatId,
    pub title: String,
    pub description: String,
    pub reach: Reach,
    pub join_mode: JoinMode,
    /// Its school (a club's) or its founder's (a professional community's).
    pub school: String,
    pub members: i64,
    /// The caller's standing.
    pub standing: Standing,
}

/// A new community.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
pub struct NewCommunity {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub reach: Reach,
    pub join_mode: JoinMode,
}

/// A community's people as its moderators manage them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityPeople {
    pub members: Vec<CommunityPerson>,
    /// Asked to join, waiting for a moderator.
    pub requests: Vec<CommunityPerson>,
    /// Invited, waiting for them.
    pub invited: Vec<CommunityPerson>,
    /// People it reaches whom a moderator may invite (their contacts; at most
    /// [`MAX_CONTACTS`]).
    pub invitable: Vec<Contact>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityPerson {
    pub person_id: PersonId,
    pub name: String,
    pub standing: Standing,
    /// May be made a moderator (an adult of the school or of the territory's schools).
    pub may_moderate: bool,
}

/// The key of two people's personal chat: one a pair, whoever starts it.
pub fn personal_key(a: PersonId, b: PersonId) -> String {
    let (a, b) = (a.to_string(), b.to_string());
    if a < b {
        format!("personal:{a}:{b}")
    } else {
        format!("personal:{b}:{a}")
    }
}

/// Someone the caller may write to, for the contacts page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub person_id: PersonId,
    pub name: String,
}

/// People the caller may write to, in groups (the group's title in the page's strings:
/// `staff`, `teachers`, `students`, `parents`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contacts {
    pub staff: Vec<Contact>,
    pub teachers: Vec<Contact>,
    pub students: Vec<Contact>,
    pub parents: Vec<Contact>,
}

/// A chat as stored.
#[derive(Debug, Clone)]
pub struct Chat {
    pub id: ChatId,
    pub organisation_id: OrganisationId,
    pub kind: ChatKind,
    pub class_id: Option<ClassId>,
    /// The subject group a group's chat follows.
    pub group_id: Option<GroupId>,
    /// The class's name (a class chat) or the school's short name (the staff room).
    pub title: String,
    pub read_only: bool,
    pub last_seq: i64,
    /// The pinned message's place.
    pub pinned: Option<i64>,
    /// Slow mode: a member writes at most once in this many seconds (0: off).
    pub slow_seconds: i64,
    /// Messages up to this place were deleted by the retention policy.
    pub purged: i64,
    /// A teacher's channel: its owner.
    pub owner_id: Option<PersonId>,
    /// A channel's or a community's description.
    pub description: String,
    /// A community: whose people find and join it, and how.
    pub reach: Option<Reach>,
    pub join_mode: Option<JoinMode>,
    /// The caller's membership by name or by group, when the chat was read for a caller.
    pub caller: Membership,
}

/// Whether the caller is a member of a chat by name (a personal chat) or by the
/// registry's groups (a group's chat), and whether they moderate it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Membership {
    pub member: bool,
    pub moderator: bool,
}

/// A chat in the caller's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatSummary {
    pub id: ChatId,
    pub kind: ChatKind,
    pub title: String,
    pub class_id: Option<ClassId>,
    pub last_seq: i64,
    /// Milliseconds since the epoch of the last message (0: none yet).
    pub last_at: i64,
    /// Messages after the caller's last read (their own move it on).
    pub unread: i64,
    /// The last message's start, for the list.
    pub last_text: Option<String>,
    pub last_author: Option<String>,
    /// Urgent announcements of others the caller has not confirmed reading yet.
    pub to_acknowledge: i64,
    pub read_only: bool,
    /// Slow mode: a member writes at most once in this many seconds (0: off).
    pub slow_seconds: i64,
}

/// A message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub chat_id: ChatId,
    /// Its place in the chat: 1, 2, 3 … with no gaps.
    pub seq: i64,
    pub author_id: PersonId,
    pub author: String,
    pub text: String,
    pub reply_to: Option<i64>,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// An urgent announcement (важное объявление): each member is asked to confirm they
    /// read it.
    pub urgent: bool,
    /// When it was last edited (its earlier texts are kept for moderation).
    pub edited_at: Option<i64>,
    /// Deleted by its author or hidden by a moderator: its text is empty.
    pub deleted: bool,
    /// Reactions by kind with their counts (only kinds someone chose).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionCount>,
    /// A poll (опрос): the message's text is its question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
    /// Photos and documents sent with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileRef>,
}

/// A file sent in a chat (its content: `GET /api/v1/chats/{chat}/files/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FileRef {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// A picture's size in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A small preview exists (`?preview=1`).
    #[serde(default)]
    pub preview: bool,
}

/// The largest file a chat takes (a phone's photo, a scanned form).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The longest file name kept, in characters.
pub const MAX_FILE_NAME: usize = 120;
/// Files a message carries at most.
pub const MAX_FILES_PER_MESSAGE: usize = 5;
/// Files a person may have uploaded and not sent yet.
pub const MAX_WAITING_FILES: i64 = 10;
/// Files a person may upload a day.
pub const FILES_A_DAY: i64 = 100;

/// The reactions a member may put on a message: a small fixed set (no free text — nothing
/// to moderate), each at most once per person and message.
pub const REACTIONS: [(&str, &str); 6] = [
    ("like", "👍"),
    ("heart", "❤️"),
    ("laugh", "😂"),
    ("wow", "😮"),
    ("sad", "😢"),
    ("thanks", "🙏"),
];

/// The emoji of a reaction's name (`None`: not one of [`REACTIONS`]).
pub fn reaction_emoji(name: &str) -> Option<&'static str> {
    REACTIONS.iter().find(|r| r.0 == name).map(|r| r.1)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReactionCount {
    /// One of `like`, `heart`, `laugh`, `wow`, `sad`, `thanks`.
    pub reaction: String,
    pub emoji: String,
    pub count: i64,
}

/// The reactions' summary a message row keeps: `like:3 heart:1` (in [`REACTIONS`]' order).
pub fn reactions_summary(counts: &[(String, i64)]) -> Option<String> {
    let parts: Vec<String> = REACTIONS
        .iter()
        .filter_map(|(name, _)| {
            counts
                .iter()
                .find(|(r, n)| r == name && *n > 0)
                .map(|(_, n)| format!("{name}:{n}"))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Reads a message row's reactions' summary back (unknown kinds are dropped).
pub fn parse_reactions(summary: Option<&str>) -> Vec<ReactionCount> {
    summary
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|part| {
            let (name, n) = part.split_once(':')?;
            Some(ReactionCount {
                reaction: name.to_string(),
                emoji: reaction_emoji(name)?.to_string(),
                count: n.parse().ok()?,
            })
        })
        .collect()
}

/// Options a poll has at least and at most, and the longest option.
pub const MIN_POLL_OPTIONS: usize = 2;
pub const MAX_POLL_OPTIONS: usize = 10;
pub const MAX_POLL_OPTION_CHARS: usize = 100;

/// A poll as its message shows it (stored on the message row, recomputed with each vote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct Poll {
    pub options: Vec<PollOption>,
    /// Several options may be chosen (dates that suit), or one.
    pub multiple: bool,
    /// Nobody sees who voted for what (otherwise the chat's members do).
    pub anonymous: bool,
    /// Closed by its author or a moderator: no more votes.
    pub closed: bool,
    /// People who voted.
    pub voters: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct PollOption {
    pub text: String,
    pub votes: i64,
}

/// A message to send: its text, and what it may be besides.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outgoing<'a> {
    pub text: &'a str,
    pub reply_to: Option<i64>,
    /// An urgent announcement (the chat's moderators).
    pub urgent: bool,
    /// A poll whose question is the text.
    pub poll: Option<&'a NewPoll>,
    /// Files uploaded to the chat to send with it (then the text may be empty).
    pub files: &'a [String],
}

/// A new poll: its options, one per line on the page.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct NewPoll {
    pub options: Vec<String>,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub anonymous: bool,
}

/// Checks a new poll's options: 2–10, none empty or longer than 100 characters, no two
/// the same.
pub fn clean_poll(new: &NewPoll) -> Result<Poll, String> {
    let mut options: Vec<PollOption> = Vec::new();
    for raw in &new.options {
        let text: String = raw.chars().filter(|c| !c.is_control()).collect();
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > MAX_POLL_OPTION_CHARS {
            return Err(format!(
                "Вариант ответа длиннее {MAX_POLL_OPTION_CHARS} знаков: «{}…».",
                text.chars().take(20).collect::<String>()
            ));
        }
        if options
            .iter()
            .any(|o| o.text.to_lowercase() == text.to_lowercase())
        {
            return Err(format!("Вариант «{text}» повторяется."));
        }
        options.push(PollOption {
            text: text.to_string(),
            votes: 0,
        });
        if options.len() > MAX_POLL_OPTIONS {
            return Err(format!(
                "В опросе не больше {MAX_POLL_OPTIONS} вариантов ответа."
            ));
        }
    }
    if options.len() < MIN_POLL_OPTIONS {
        return Err("Дайте хотя бы два варианта ответа.".into());
    }
    Ok(Poll {
        options,
        multiple: new.multiple,
        anonymous: new.anonymous,
        closed: false,
        voters: 0,
    })
}

/// Who voted for an option of a poll that is not anonymous.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PollVoters {
    pub seq: i64,
    /// For each option in order: who chose it.
    pub options: Vec<Vec<Contact>>,
}

/// A message as the caller sees it on a page of history: with, for an urgent one, whether
/// the caller confirmed reading it, and for its author and the chat's moderators how many
/// did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    #[serde(flatten)]
    pub message: Message,
    /// An urgent message of someone else: whether the caller confirmed reading it.
    pub acknowledged: Option<bool>,
    /// An urgent message, to its author and the moderators: confirmations so far.
    pub acks: Option<i64>,
    /// The reactions the caller put on it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub my_reactions: Vec<String>,
    /// A poll: the options the caller chose (by their index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub my_votes: Vec<i64>,
    /// A channel's post: the people who read up to it (its author not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views: Option<i64>,
    /// A channel's post: its comments (not deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<i64>,
}

/// Who confirmed reading an urgent announcement and who has not yet (its author and the
/// chat's moderators see it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckReport {
    pub seq: i64,
    /// (the person, their name, when) — in the order they confirmed.
    pub acknowledged: Vec<Acked>,
    /// The chat's members who have not confirmed yet (by the registry, now).
    pub pending: Vec<Contact>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Acked {
    pub person_id: PersonId,
    pub name: String,
    /// Milliseconds since the epoch.
    pub at: i64,
}

/// What a moderator changes in a chat (absent: unchanged).
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct ChatSettings {
    /// Only the moderators write (an announcements-only class chat).
    pub read_only: Option<bool>,
    /// The message shown on top of the chat; 0 unpins.
    pub pinned: Option<i64>,
    /// Slow mode: a member (not a moderator) writes at most once in this many seconds;
    /// 0 turns it off. One of [`SLOW_MODES`].
    pub slow_seconds: Option<i64>,
}

/// The slow modes a moderator chooses from, in seconds (0: off).
pub const SLOW_MODES: [i64; 5] = [0, 10, 30, 60, 300];
/// Complaints a person may make a day (a flood of complaints is a flood).
pub const COMPLAINTS_A_DAY: i64 = 20;
/// The longest comment to a complaint, in characters.
pub const MAX_COMPLAINT_COMMENT: usize = 500;
/// Open complaints a moderator's list shows at most (the oldest first).
pub const MAX_OPEN_COMPLAINTS: i64 = 200;
/// How long a moderator may mute someone, in hours at most (a term); for good: remove.
pub const MAX_MUTE_HOURS: i64 = 24 * 120;

/// Why a message is complained about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintReason {
    /// Оскорбления, травля.
    Abuse,
    /// Спам, реклама.
    Spam,
    /// Чужие персональные данные.
    PersonalData,
    /// Неподобающее для детей.
    Inappropriate,
    Other,
}

impl ComplaintReason {
    pub const ALL: [ComplaintReason; 5] = [
        ComplaintReason::Abuse,
        ComplaintReason::Spam,
        ComplaintReason::PersonalData,
        ComplaintReason::Inappropriate,
        ComplaintReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintReason::Abuse => "abuse",
            ComplaintReason::Spam => "spam",
            ComplaintReason::PersonalData => "personal_data",
            ComplaintReason::Inappropriate => "inappropriate",
            ComplaintReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a moderator does about a message (a complaint's outcome, or on their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Nothing wrong: the complaints are closed.
    Dismiss,
    /// The message is hidden from the members.
    Hide,
    /// The message hidden and its author muted for `hours`.
    Mute,
    /// The message hidden and its author removed from the chat.
    Remove,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Dismiss => "dismissed",
            Resolution::Hide => "hidden",
            Resolution::Mute => "muted",
            Resolution::Remove => "removed",
        }
    }
}

/// An open complaint as a moderator sees it: the message (its text even when deleted since,
/// and its earlier texts), who wrote it and who complained.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Complaint {
    pub id: String,
    pub chat_id: ChatId,
    pub chat_kind: ChatKind,
    pub chat_title: String,
    pub seq: i64,
    pub author_id: PersonId,
    pub author: String,
    /// The message's text now ("" when it was deleted).
    pub text: String,
    /// Its earlier texts, oldest first.
    pub earlier: Vec<String>,
    pub reason: ComplaintReason,
    pub comment: String,
    pub by: String,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// Complaints about the same message (this one included).
    pub count: i64,
}

/// Someone a chat's moderators muted or removed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Restricted {
    pub person_id: PersonId,
    pub name: String,
    /// "mute" or "remove".
    pub kind: String,
    /// Milliseconds since the epoch (none: until lifted).
    pub until: Option<i64>,
}

/// A page of a chat's history, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct History {
    pub chat: ChatSummary,
    pub messages: Vec<Line>,
    /// `before` for the previous page, if there is one.
    pub earlier: Option<i64>,
    /// Whether the caller may write here (a read-only chat: its moderators only).
    pub can_post: bool,
    /// The chat's moderators have muted the caller here for now.
    pub muted: bool,
    /// Whether the caller may react and vote here (not muted; a read-only chat's members
    /// may).
    pub can_react: bool,
    /// Whether the caller moderates the chat (urgent announcements, read-only mode, pins,
    /// hiding messages).
    pub moderator: bool,
    /// The pinned message, if any.
    pub pinned: Option<Message>,
    /// Urgent announcements anywhere in the chat the caller has not confirmed yet (their
    /// `seq`), the oldest first.
    pub to_acknowledge: Vec<i64>,
    /// A thread: the message (a channel's post) whose replies these are, after it.
    pub thread: Option<i64>,
    /// A channel: the caller publishes its posts (its authors by the registry; the
    /// school's administration moderates every channel of its school but publishes only
    /// its news).
    pub author: bool,
    /// A channel's description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Which of a chat's messages a page of history holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    /// A channel's posts (not the comments).
    Posts,
    /// A message and its replies (a post and its comments).
    Thread(i64),
}

/// A part of a found message's text; `found`: one of the words looked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextPart {
    pub text: String,
    pub found: bool,
}

/// A message found by a search, with its chat.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Found {
    pub chat_id: ChatId,
    pub chat_kind: ChatKind,
    /// The class's name, the school's, or the other person's (a personal chat).
    pub chat_title: String,
    pub message: Message,
    /// The message's text with the found words marked.
    pub parts: Vec<TextPart>,
}

/// Messages found in the caller's chats, the newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    pub found: Vec<Found>,
    /// `offset` for the next page of results, if there may be one.
    pub more: Option<usize>,
}

/// Results a page of a search.
pub const SEARCH_PAGE: usize = 30;
/// How far a search can be paged (results beyond are found by a narrower query).
pub const MAX_SEARCH_OFFSET: usize = 600;
/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// The MON-4 target: in this share of teacher-led chats, at least
/// [`ACTIVE_CHAT_MESSAGES`] messages a week.
pub const TARGET_ACTIVE_SHARE: f64 = 0.25;
pub const ACTIVE_CHAT_MESSAGES: i64 = 10;

/// A school's chats in a week (MON-3, MON-4): figures, no messages.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SchoolActivity {
    pub organisation_id: Option<OrganisationId>,
    /// The school's short name («всего» for the sum).
    pub name: String,
    /// Chats of the school (made when first opened).
    pub chats: i64,
    /// Chats with at least one message in the week.
    pub active_chats: i64,
    /// Chats a teacher leads (a class's chats, led by its class teacher; a subject group's, by
    /// its teacher).
    pub teacher_chats: i64,
    /// Of those, chats with at least 10 messages in the week.
    pub teacher_chats_active: i64,
    /// `teacher_chats_active` ÷ `teacher_chats` (0 without teacher-led chats).
    pub teacher_chats_share: f64,
    pub messages: i64,
    /// People who wrote in the week.
    pub active_members: i64,
    /// Of them, the school's staff.
    pub active_teachers: i64,
}

/// The chats' activity of the caller's schools in a week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityReport {
    /// The week's Monday (YYYY-MM-DD).
    pub week: String,
    pub schools: Vec<SchoolActivity>,
    /// The sum over the schools (the share over all their teacher-led chats).
    pub total: SchoolActivity,
    /// The target share (MON-4).
    pub target_share: f64,
}

/// A message's text as sent: trimmed, not empty, not too long, no control characters
/// other than line breaks and tabs. Markup is text: escaped wherever it is shown.
pub fn clean_text(raw: &str) -> Result<String, &'static str> {
    let text: String = raw
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Err("Напишите сообщение.");
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err("Сообщение длиннее 4000 знаков: разделите его на несколько.");
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_without_controls() {
        assert_eq!(
            clean_text("  привет\r\nкласс \u{0007}").unwrap(),
            "привет\nкласс"
        );
        assert!(clean_text(" \n\t ").is_err());
        assert!(clean_text(&"я".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert!(clean_text(&"я".repeat(MAX_MESSAGE_CHARS)).is_ok());
        // Markup is kept as text (escaped when shown).
        assert_eq!(clean_text("<b>x</b>").unwrap(), "<b>x</b>");
    }

    #[test]
    fn kinds_read_back() {
        for k in [
            ChatKind::ClassStudents,
            ChatKind::ClassParents,
            ChatKind::StaffRoom,
            ChatKind::Personal,
        ] {
            assert_eq!(ChatKind::parse(k.as_str()), Some(k));
        }
    }
}

/// Where a scheduled message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledState {
    Pending,
    /// Being sent by a server now.
    Sending,
    Sent,
    Cancelled,
    /// Not sent: the author could no longer write there (the reason in `failure`).
    Failed,
}

impl ScheduledState {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledState::Pending => "pending",
            ScheduledState::Sending => "sending",
            ScheduledState::Sent => "sent",
            ScheduledState::Cancelled => "cancelled",
            ScheduledState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ScheduledState> {
        [
            ScheduledState::Pending,
            ScheduledState::Sending,
            ScheduledState::Sent,
            ScheduledState::Cancelled,
            ScheduledState::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A message written now to be sent later.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scheduled {
    pub id: String,
    pub chat_id: ChatId,
    pub text: String,
    pub urgent: bool,
    /// When it is to be sent, milliseconds since the epoch (the platform's clock).
    pub send_at: i64,
    pub state: ScheduledState,
    /// Its place in the chat once sent.
    pub seq: Option<i64>,
    /// Why it was not sent.
    pub failure: Option<String>,
}

//! Password hashing with argon2id (OWASP parameters) and the password rules.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

type Job = Box<dyn FnOnce() + Send>;

/// A hashing thread keeps its work area this long after its last job.
const IDLE: std::time::Duration = std::time::Duration::from_secs(5);

thread_local! {
    /// The argon2 work area of this thread (19 MiB with our parameters).
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn release_work_area() {
    MEMORY.with(|m| *m.borrow_mut() = Vec::new());
}

/// One thread per core for argon2, fed from a queue: a finished hash picks up the next
/// sign-in at once, nothing else competes for the cores' caches, and at most one 19 MiB
/// work area per core exists. (Through tokio's blocking pool with a semaphore the cores
/// idled between hashes: 0.78–0.87 of the raw rate against this design's; see bench.)
#[derive(Clone)]
pub struct HashPool {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl HashPool {
    /// Starts the threads; they end when the last handle is dropped.
    pub fn start() -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("parta-argon2-{i}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv_timeout(IDLE),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        // Quiet for a while: give the work area back, an idle server stays small.
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => release_work_area(),
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `f` on a hashing thread and waits for it without blocking the runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .ok()?;
        result.await.ok()
    }
}

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
pub fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Constant-time verification against a stored PHC string. The 19 MiB of argon2 memory is
/// kept per thread and reused: allocating it afresh for every sign-in cost a third of the
/// CPU in page faults (measured under load).
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or(Version::V0x13);
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let hashed = MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut memory[..blocks],
            )
            .is_ok()
    });
    let expected = expected.as_bytes();
    hashed
        && out.len() == expected.len()
        && out
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A hash of nothing, verified when the login is unknown so that timing does not
/// reveal which logins exist.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("parta-dummy-password").unwrap_or_default());
    let _ = verify(password, phc);
}

/// The most common passwords (and the ones people pick at school); refused outright.
const COMMON: &[&str] = &[
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "qwerty",
    "qwerty123",
    "qwertyuiop",
    "111111",
    "11111111",
    "000000",
    "00000000",
    "123123",
    "123123123",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "zaq12wsx",
    "abc123",
    "iloveyou",
    "admin",
    "admin123",
    "welcome",
    "monkey",
    "dragon",
    "letmein",
    "football",
    "sunshine",
    "princess",
    "parol",
    "parol123",
    "пароль",
    "йцукен",
    "йцукен123",
    "школа",
    "школа123",
    "school",
    "school123",
    "shkola",
    "shkola123",
    "uchitel",
    "учитель",
    "gfhjkm",
    "qwe123",
    "asdfgh",
    "zxcvbn",
    "987654321",
    "7777777",
    "555555",
    "666666",
    "121212",
    "654321",
    "marina",
    "natasha",
    "andrey",
    "sergey",
    "aleksandr",
    "maksim",
    "dmitriy",
    "privet",
    "privet123",
    "love",
    "master",
    "superman",
];

/// Russian letters in Latin, as people type names on a Latin keyboard
/// ("Иванов" → "ivanov"); a name in either script is the same guess.
fn translit(s: &str) -> String {
    s.chars()
        .map(|c| {
            match c {
                'а' => "a",
                'б' => "b",
                'в' => "v",
                'г' => "g",
                'д' => "d",
                'е' | 'ё' | 'э' => "e",
                'ж' => "zh",
                'з' => "z",
                'и' | 'й' | 'ы' => "i",
                'к' => "k",
                'л' => "l",
                'м' => "m",
                'н' => "n",
                'о' => "o",
                'п' => "p",
                'р' => "r",
                'с' => "s",
                'т' => "t",
                'у' => "u",
                'ф' => "f",
                'х' => "kh",
                'ц' => "ts",
                'ч' => "ch",
                'ш' => "sh",
                'щ' => "shch",
                'ъ' | 'ь' => "",
                'ю' => "yu",
                'я' => "ya",
                _ => "",
            }
            .to_string()
                + &if c.is_ascii() {
                    c.to_string()
                } else {
                    String::new()
                }
        })
        .collect()
}

/// What a guesser knows of the person: the login and the words of their name, in
/// Cyrillic and in Latin letters.
pub fn context(login: &str, name: &str) -> Vec<String> {
    let mut words: Vec<String> = vec![login.to_lowercase()];
    for w in name.split_whitespace() {
        let w = w.to_lowercase();
        if w.chars().count() >= 3 {
            words.push(translit(&w));
            words.push(w);
        }
    }
    words.retain(|w| !w.is_empty());
    words.dedup();
    words
}

/// Checks a new password; the error says why, in Russian. OWASP's length rules (at least
/// 10 characters here, up to 128), a list of the passwords people pick at school, the
/// person's own login and names (in either script), and the zxcvbn estimator, which must
/// rate it at least "safely unguessable" (3 of 4: about 10⁸ guesses).
pub fn check_strength(password: &str, context: &[String]) -> Result<(), String> {
    let len = password.chars().count();
    if len < 10 {
        return Err("Пароль слишком короткий: нужно не меньше 10 символов.".into());
    }
    if len > 128 {
        return Err("Пароль слишком длинный: не больше 128 символов.".into());
    }
    let lower = password.to_lowercase();
    let core = lower.trim_end_matches(|ch: char| ch.is_ascii_digit() || ch.is_ascii_punctuation());
    if COMMON.iter().any(|c| lower == *c || core == *c) {
        return Err("Это один из самых распространённых паролей — его легко угадать.".into());
    }
    if let Some(w) = context
        .iter()
        .find(|w| w.chars().count() >= 3 && lower.contains(w.as_str()))
    {
        return Err(if context.first() == Some(w) {
            "Пароль не должен содержать логин.".into()
        } else {
            "Пароль не должен содержать ваше имя или фамилию: их знают все, кто вас знает.".into()
        });
    }
    let inputs: Vec<&str> = context.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() < zxcvbn::Score::Three {
        use zxcvbn::feedback::Warning as W;
        let why = match estimate.feedback().and_then(|f| f.warning()) {
            Some(W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess) => {
                "Ряды клавиш подряд легко угадать."
            }
            Some(
                W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
            ) => "Повторы вроде «ааа» или «абвабв» легко угадать.",
            Some(W::SequencesLikeAbcAreEasyToGuess) => {
                "Последовательности вроде «abc» или «123» легко угадать."
            }
            Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => {
                "Годы и даты легко угадать."
            }
            Some(
                W::ThisIsATop10Password
                | W::ThisIsATop100Password
                | W::ThisIsACommonPassword
                | W::ThisIsSimilarToACommonlyUsedPassword,
            ) => "Это один из распространённых паролей или похож на него.",
            Some(
                W::NamesAndSurnamesByThemselvesAreEasyToGuess
                | W::CommonNamesAndSurnamesAreEasyToGuess,
            ) => "Имена и фамилии легко угадать.",
            Some(W::AWordByItselfIsEasyToGuess) | None => "Одно слово с цифрами легко угадать.",
        };
        return Err(format!(
            "Пароль слишком простой. {why} Возьмите три-четыре не связанных слова, например «Зелёный-слон-ест-42»."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("Верный-пароль-42").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("Верный-пароль-42", &h));
        assert!(!verify("Неверный-пароль-42", &h));
    }

    #[test]
    fn weak_passwords_refused_with_reason() {
        let ctx = context("ivanova", "Иванова Мария Петровна");
        assert!(check_strength("qwerty", &ctx)
            .unwrap_err()
            .contains("короткий"));
        assert!(check_strength("qwerty1234", &ctx)
            .unwrap_err()
            .contains("распространённых"));
        assert!(check_strength("ivanova-2026!", &ctx)
            .unwrap_err()
            .contains("логин"));
        // Found by the security test: accepted before.
        for weak in [
            "Password1!",
            "Qwerty123!",
            "Иванова2015",
            "Mariya-2015!",
            "Petrovna1985",
        ] {
            assert!(check_strength(weak, &ctx).is_err(), "{weak}");
        }
        assert!(check_strength("Зелёный-слон-ест-42", &ctx).is_ok());
        assert!(check_strength("Parta-demo-2026", &context("teacher", "Учителева Анна")).is_ok());
    }

    #[test]
    fn names_are_known_in_both_scripts() {
        let ctx = context("m.ivanova", "Иванова Мария");
        assert!(ctx.contains(&"ivanova".to_string()) && ctx.contains(&"мария".to_string()));
    }
}

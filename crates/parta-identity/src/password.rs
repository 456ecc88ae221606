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

/// Checks a new password; the error says why, in Russian.
pub fn check_strength(password: &str, login: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < 10 {
        return Err("Пароль слишком короткий: нужно не меньше 10 символов.".into());
    }
    if len > 128 {
        return Err("Пароль слишком длинный: не больше 128 символов.".into());
    }
    let lower = password.to_lowercase();
    if COMMON
        .iter()
        .any(|c| lower == *c || lower.trim_end_matches(|ch: char| ch.is_ascii_digit()) == *c)
    {
        return Err("Это один из самых распространённых паролей — его легко угадать.".into());
    }
    if !login.is_empty() && lower.contains(&login.to_lowercase()) {
        return Err("Пароль не должен содержать логин.".into());
    }
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return Err("В пароле слишком мало разных символов.".into());
    }
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_other = password.chars().any(|c| !c.is_alphabetic());
    if !(has_letter && has_other) {
        return Err("Добавьте в пароль и буквы, и цифры или знаки.".into());
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
        assert!(check_strength("qwerty", "ivanov")
            .unwrap_err()
            .contains("короткий"));
        assert!(check_strength("qwerty1234", "x")
            .unwrap_err()
            .contains("распространённых"));
        assert!(check_strength("ivanov-2026!", "ivanov")
            .unwrap_err()
            .contains("логин"));
        assert!(check_strength("Зелёный-слон-42", "ivanov").is_ok());
    }
}

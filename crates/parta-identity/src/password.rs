//! Password hashing with argon2id (OWASP parameters) and the password rules.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

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

/// Constant-time verification against a stored PHC string.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
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

//! Where the platform may send data (INT-8: 149-FZ art. 10 p. 8): never to the foreign
//! messengers the regulator names. Every outbound destination a school or region
//! configures — a sign-in provider now; notification channels, video engines and webhooks
//! as they come — is checked here when the configuration is read, so such an integration
//! cannot be set up at all.

/// The services named by the regulator and the hosts they answer at (a host or any of
/// its subdomains).
const FOREIGN_MESSENGERS: &[(&str, &[&str])] = &[
    (
        "Discord",
        &[
            "discord.com",
            "discord.gg",
            "discordapp.com",
            "discordapp.net",
        ],
    ),
    (
        "Microsoft Teams",
        &[
            "teams.microsoft.com",
            "teams.live.com",
            "teams.cdn.office.net",
        ],
    ),
    (
        "Skype for Business",
        &["skype.com", "lync.com", "skypeforbusiness.com"],
    ),
    ("Snapchat", &["snapchat.com", "snap.com"]),
    (
        "Telegram",
        &["telegram.org", "telegram.me", "t.me", "telegra.ph"],
    ),
    ("Threema", &["threema.ch", "threema.com"]),
    ("Viber", &["viber.com"]),
    ("WhatsApp", &["whatsapp.com", "whatsapp.net", "wa.me"]),
    ("WeChat", &["wechat.com", "weixin.qq.com"]),
];

/// The foreign messenger a URL (or a bare host) leads to, if it is one of them.
pub fn foreign_messenger(url: &str) -> Option<&'static str> {
    let rest = url.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    FOREIGN_MESSENGERS.iter().find_map(|(name, hosts)| {
        hosts
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")))
            .then_some(*name)
    })
}

/// Refuses a destination that is a foreign messenger, in words an operator understands.
pub fn check_destination(what: &str, url: &str) -> Result<(), String> {
    match foreign_messenger(url) {
        Some(name) => Err(format!(
            "{what}: {name} — иностранный мессенджер, передавать в него персональные данные запрещено (149-ФЗ, ст. 10, п. 8)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_messengers_are_recognised_by_host_and_subdomain() {
        assert_eq!(
            foreign_messenger("https://api.telegram.org/bot1/sendMessage"),
            Some("Telegram")
        );
        assert_eq!(foreign_messenger("https://T.ME/school"), Some("Telegram"));
        assert_eq!(foreign_messenger("wa.me"), Some("WhatsApp"));
        assert_eq!(
            foreign_messenger("https://user:pw@graph.whatsapp.com:443/x"),
            Some("WhatsApp")
        );
        assert_eq!(
            foreign_messenger("https://teams.microsoft.com/l/meetup"),
            Some("Microsoft Teams")
        );
        assert_eq!(
            foreign_messenger("https://discord.com./api"),
            Some("Discord")
        );
        // Not a look-alike, not the platform's own or a domestic service.
        assert_eq!(foreign_messenger("https://notelegram.org"), None);
        assert_eq!(foreign_messenger("https://t.me.example.ru"), None);
        assert_eq!(foreign_messenger("https://esia.gosuslugi.ru"), None);
        assert_eq!(foreign_messenger("https://sferum.ru"), None);
        assert_eq!(foreign_messenger("http://[::1]:8080"), None);
        assert!(
            check_destination("oidc.issuer", "https://oauth.telegram.org")
                .unwrap_err()
                .contains("149-ФЗ")
        );
    }
}

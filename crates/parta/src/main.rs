//! `parta`: the one binary. Wiring only — every rule lives in the domain crates.

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use parta_core::config::{Config, LogFormat, Secret};
use parta_db::Db;
use parta_identity::throttle::Throttle;
use parta_web::AppState;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tracing_subscriber::EnvFilter;

// Many short-lived buffers per request (rows, JSON, gzip): glibc's allocator spent a tenth
// of the CPU in its own locks and consolidation under load (bench/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "parta",
    version,
    about = "Парта — цифровая образовательная среда"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// TOML configuration file (default: ./parta.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, files).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…`.
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server.
    Serve {
        #[arg(long)]
        port: Option<u16>,
        #[arg(long)]
        bind: Option<String>,
        /// Fill an empty database with the demo region first.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and refresh reference books.
    Migrate,
    /// Generate a synthetic region into an empty database.
    Gen {
        #[arg(long, default_value_t = 10_000)]
        students: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also the school day: calendar, timetable, the year's lessons, and marks and
        /// attendance up to today (about 200 marks per student by late November).
        #[arg(long)]
        school_day: bool,
    },
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Consistent snapshot of the SQLite database while it serves.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Import a OneRoster 1.2 ZIP or the Russian CSV template into a school, or a
    /// OneRoster package of several schools into a territory (`--region` or
    /// `--municipality`).
    Import {
        /// Organisation id.
        #[arg(long, required_unless_present_any = ["region", "municipality"])]
        org: Option<String>,
        /// A region's package: its code (e.g. 77).
        #[arg(long, conflicts_with_all = ["org", "municipality"])]
        region: Option<String>,
        /// A municipality's package: its id.
        #[arg(long, conflicts_with_all = ["org", "region"])]
        municipality: Option<String>,
        #[arg(long)]
        file: PathBuf,
        /// Validate and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export a school's roster as a OneRoster 1.2 ZIP.
    Export {
        #[arg(long)]
        org: String,
        #[arg(long)]
        to: PathBuf,
    },
    /// Rebuild the chats' search index from the database (it also rebuilds by itself at
    /// start when missing or unreadable). Stop the server first.
    Reindex,
    /// Replace the SQLite database with a checked backup (stop the server first).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a person with an account and a role; the password is read from stdin.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        middle_name: Option<String>,
        /// student, parent, teacher, school_admin, municipal_operator, regional_operator, platform_admin
        #[arg(long, default_value = "platform_admin")]
        role: String,
        #[arg(long)]
        organisation_id: Option<String>,
    },
    /// Set a new password (read from stdin); all sessions of the account end.
    ResetPassword {
        #[arg(long)]
        login: String,
    },
}

fn load_config(c: &Common) -> anyhow::Result<Config> {
    let mut config = Config::load(c.config.as_deref())?;
    if let Some(d) = &c.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(u) = &c.database_url {
        config.database_url = Some(Secret::new(u.clone()));
    }
    Ok(config)
}

fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_env("PARTA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,tower_http=warn,tantivy=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url())
        .await
        .context("подключение к базе данных")?;
    Ok(db)
}

fn read_password() -> anyhow::Result<String> {
    eprintln!("Введите пароль и нажмите Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = load_config(&cli.common)?;
    if let Some(day) = config.today {
        parta_core::time::set_today(day).map_err(anyhow::Error::msg)?;
    }
    init_logs(config.log_format);
    if parta_core::time::is_set() {
        tracing::warn!(today = %parta_core::time::today(), "the platform's date is set (PARTA_TODAY)");
    }
    match cli.command {
        Command::Serve { port, bind, demo } => {
            let mut config = config;
            if let Some(p) = port {
                config.port = p;
            }
            config.bind = listen_address(bind, demo, &config.bind);
            config.demo = config.demo || demo;
            serve(config, demo).await
        }
        Command::Migrate => {
            let db = open(&config).await?;
            db.migrate().await?;
            println!("Миграции применены.");
            Ok(())
        }
        Command::Gen {
            students,
            seed,
            school_day,
        } => {
            let db = open(&config).await?;
            db.migrate().await?;
            let started = Instant::now();
            let spec = parta_gen::Spec {
                students,
                seed,
                demo: false,
                school_day,
            };
            let s = parta_gen::generate(&db, &spec, true).await?;
            println!(
                "Сгенерировано за {:.1} с: муниципалитетов — {}, школ — {}, классов — {}, обучающихся — {}, родителей — {}, сотрудников — {} (строк: {}). Пароль всех учётных записей: {}",
                started.elapsed().as_secs_f64(), s.municipalities, s.schools, s.classes, s.students, s.parents, s.staff, s.rows, parta_gen::DEMO_PASSWORD
            );
            Ok(())
        }
        Command::User(cmd) => user(config, cmd).await,
        Command::Backup { to } => {
            let db = open(&config).await?;
            if to.exists() {
                bail!("файл {} уже существует", to.display());
            }
            db.backup_sqlite(&to).await.context(
                "резервная копия (только для SQLite; для PostgreSQL используйте pg_dump)",
            )?;
            println!("Резервная копия: {}", to.display());
            Ok(())
        }
        Command::Restore { from } => restore(&config, &from).await,
        Command::Reindex => {
            let db = open(&config).await?;
            db.migrate().await?;
            let started = Instant::now();
            let dir = parta_chat::search::dir_in(&config.data_dir);
            let mut shown = 0;
            let n = parta_chat::search::rebuild(&dir, &db, |done| {
                if done >= shown + 100_000 {
                    shown = done;
                    eprint!("\rСообщений чатов проиндексировано: {done}");
                }
            })
            .await
            .map_err(anyhow::Error::msg)
            .context("поисковый индекс чатов")?;
            eprintln!();
            println!(
                "Поисковый индекс чатов перестроен за {:.1} с: сообщений — {n} ({}).",
                started.elapsed().as_secs_f64(),
                dir.display()
            );
            Ok(())
        }
        Command::Import {
            org: Some(org),
            file,
            dry_run,
            ..
        } => import(&config, &org, &file, dry_run).await,
        Command::Import {
            region,
            municipality,
            file,
            dry_run,
            ..
        } => {
            let territory = match (region, municipality) {
                (Some(r), _) => {
                    parta_roster::region::Territory::Region(parta_core::ids::RegionCode(r))
                }
                (_, Some(m)) => parta_roster::region::Territory::Municipality(
                    m.parse().context("идентификатор муниципалитета")?,
                ),
                _ => bail!("укажите --org, --region или --municipality"),
            };
            import_region(&config, territory, &file, dry_run).await
        }
        Command::Export { org, to } => {
            let db = open(&config).await?;
            db.migrate().await?;
            let roster =
                parta_roster::Roster::new(db.clone(), parta_db::audit::AuditLog::start(db.clone()));
            let org = org.parse().context("идентификатор организации")?;
            let zip = roster
                .export(None, None, org)
                .await
                .map_err(|e| anyhow::anyhow!("{}", parta_core::Problem::from(e)))?;
            std::fs::write(&to, zip)?;
            println!("Выгружено: {}", to.display());
            Ok(())
        }
    }
}

/// Where `serve` listens: `--bind` when given; the demo (its passwords are public) only on
/// this computer; otherwise the configured address.
fn listen_address(bind: Option<String>, demo: bool, configured: &str) -> String {
    match bind {
        Some(b) => b,
        None if demo => "127.0.0.1".into(),
        None => configured.to_string(),
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = open(&config).await?;
    if config.migrate_on_start {
        db.migrate().await.context("миграции")?;
    }
    if demo && parta_gen::is_empty(&db).await? {
        println!("Создаю демонстрационный регион…");
        let s = parta_gen::generate(&db, &parta_gen::Spec::demo(), false).await?;
        println!(
            "Демо-регион: муниципалитетов — {}, школ — {}, классов — {}, обучающихся — {}, родителей — {}, сотрудников — {}.",
            s.municipalities, s.schools, s.classes, s.students, s.parents, s.staff
        );
        println!(
            "Учётные записи (пароль у всех: {}):",
            parta_gen::DEMO_PASSWORD
        );
        for a in &s.accounts {
            println!("  {:<14} {} — {}", a.login, a.role, a.name);
        }
        // The showcase class's chats and the staff room, with recent messages.
        if let Some(class) = parta_gen::demo_class(&db).await? {
            let class = class.parse().context("демо-класс")?;
            parta_chat::demo::seed(&db, class)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("чаты демо-региона")?;
        }
    }
    let throttle = Throttle::new((&config.sign_in).into());
    let addr: SocketAddr = format!("{}:{}", config.bind, config.port)
        .parse()
        .context("адрес для прослушивания")?;
    let state = AppState::new(db.clone(), config, throttle)
        .map_err(|e| anyhow::anyhow!("{}", parta_core::Problem::from(e)))?;
    state.start_relay();
    state.start_chat_scheduler();
    state.start_housekeeping();
    let housekeeping = state.identity.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = housekeeping.housekeeping().await {
                tracing::warn!(error = %e, "housekeeping failed");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("порт {addr} занят?"))?;
    let local = listener.local_addr()?;
    tracing::info!(%local, ready_ms = started.elapsed().as_millis() as u64, "parta is listening");
    println!(
        "Парта работает: http://{}:{}/",
        if local.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            local.ip().to_string()
        },
        local.port()
    );
    let app = parta_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    db.pool.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn user(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let db = open(&config).await?;
    db.migrate().await?;
    let audit = parta_db::audit::AuditLog::start(db.clone());
    let identity = parta_identity::Identity::new(
        db.clone(),
        audit,
        Throttle::default(),
        config.session.clone(),
    );
    match cmd {
        UserCommand::Add {
            login,
            last_name,
            first_name,
            middle_name,
            role,
            organisation_id,
        } => {
            let Some(role) = parta_core::principal::Role::parse(&role) else {
                bail!("неизвестная роль {role}")
            };
            let password = read_password()?;
            let person = parta_core::ids::PersonId::new();
            let now = parta_core::time::now_ms();
            let mut tx = db.pool.begin().await?;
            sqlx::query("INSERT INTO persons (id, last_name, first_name, middle_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
                .bind(person)
                .bind(last_name)
                .bind(first_name)
                .bind(middle_name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO role_assignments (id, person_id, role, organisation_id, personal_data_granted, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
                .bind(parta_core::ids::RoleAssignmentId::new())
                .bind(person)
                .bind(role.as_str())
                .bind(organisation_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if let Err(e) = identity
                .create_account(person, &login, Some(&password))
                .await
            {
                sqlx::query("DELETE FROM role_assignments WHERE person_id = $1")
                    .bind(person)
                    .execute(&db.pool)
                    .await?;
                sqlx::query("DELETE FROM persons WHERE id = $1")
                    .bind(person)
                    .execute(&db.pool)
                    .await?;
                bail!("{}", parta_core::Problem::from(e));
            }
            println!("Учётная запись {login} создана.");
        }
        UserCommand::ResetPassword { login } => {
            let password = read_password()?;
            identity
                .reset_password(&login, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{}", parta_core::Problem::from(e)))?;
            println!("Пароль изменён, все сеансы завершены.");
        }
    }
    Ok(())
}

async fn import(
    config: &Config,
    org: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let db = open(config).await?;
    db.migrate().await?;
    let roster =
        parta_roster::Roster::new(db.clone(), parta_db::audit::AuditLog::start(db.clone()));
    let org = org.parse().context("идентификатор организации")?;
    let bytes = std::fs::read(file).with_context(|| format!("чтение {}", file.display()))?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} записано людей: {pos}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let progress = |n: u64| bar.set_position(n);
    let result = roster
        .import(None, None, org, &bytes, dry_run, &progress)
        .await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            println!(
                "{}: {} ({}). Людей: {}, классов и групп: {}, зачислений: {}. Создано: {}, изменено: {}, без изменений: {}.",
                if r.dry_run { "Проверка пройдена, ничего не записано" } else { "Импорт выполнен" },
                r.format, r.encoding, r.people, r.classes, r.enrolments, r.created, r.updated, r.unchanged
            );
            if !r.written.is_empty() {
                let kinds: Vec<String> =
                    r.written.iter().map(|(k, n)| format!("{k} {n}")).collect();
                println!("Записано по видам: {}.", kinds.join(", "));
            }
            if r.ended > 0 {
                println!("Закрыто (обучение, должности, роли, группы): {}.", r.ended);
            }
            for e in &r.warnings {
                println!(
                    "  не применено: {}:{} [{}] {}",
                    e.file, e.line, e.column, e.message
                );
            }
            Ok(())
        }
        Err(parta_roster::RosterError::Rows(rows)) => {
            eprintln!(
                "Файл не принят, ничего не записано. Ошибки ({}):",
                rows.len()
            );
            for e in &rows {
                eprintln!("  {}:{} [{}] {}", e.file, e.line, e.column, e.message);
            }
            bail!("импорт отклонён")
        }
        Err(e) => bail!("{}", parta_core::Problem::from(e)),
    }
}

/// A package of several schools into a territory, with a progress bar.
async fn import_region(
    config: &Config,
    territory: parta_roster::region::Territory,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let db = open(config).await?;
    db.migrate().await?;
    let roster =
        parta_roster::Roster::new(db.clone(), parta_db::audit::AuditLog::start(db.clone()));
    let bytes = std::fs::read(file).with_context(|| format!("чтение {}", file.display()))?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} людей записано ({percent}%, осталось ~{eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("проверка пакета");
    let progress = |n: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(n);
    };
    let result = roster
        .import_region(None, None, Some(territory), bytes, dry_run, &progress)
        .await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            println!(
                "{}: {} ({}). Школ: {}. Людей: {}, классов и групп: {}, зачислений: {}. Создано: {}, изменено: {}, без изменений: {}, закрыто: {}.",
                if r.dry_run { "Проверка пройдена, ничего не записано" } else { "Импорт выполнен" },
                r.format, r.encoding, r.schools.len(), r.people, r.classes, r.enrolments, r.created, r.updated, r.unchanged, r.ended
            );
            for s in &r.schools {
                println!(
                    "  {} → {} (по {}): людей {}, создано {}, изменено {}, без изменений {}",
                    s.source_id,
                    s.organisation_name,
                    s.matched_by,
                    s.report.people,
                    s.report.created,
                    s.report.updated,
                    s.report.unchanged
                );
                for e in &s.report.warnings {
                    println!(
                        "    не применено: {}:{} [{}] {}",
                        e.file, e.line, e.column, e.message
                    );
                }
            }
            for e in &r.warnings {
                println!(
                    "  не применено: {}:{} [{}] {}",
                    e.file, e.line, e.column, e.message
                );
            }
            Ok(())
        }
        Err(parta_roster::RosterError::Rows(rows)) => {
            eprintln!(
                "Пакет не принят, ничего не записано. Ошибки ({}):",
                rows.len()
            );
            for e in &rows {
                eprintln!("  {}:{} [{}] {}", e.file, e.line, e.column, e.message);
            }
            bail!("импорт отклонён")
        }
        Err(e) => bail!("{}", parta_core::Problem::from(e)),
    }
}

/// Checks the backup with `PRAGMA integrity_check`, then swaps it in, keeping the old file.
async fn restore(config: &Config, from: &std::path::Path) -> anyhow::Result<()> {
    if config.database_url.is_some() {
        bail!("восстановление поддерживается для встроенной SQLite; для PostgreSQL используйте pg_restore");
    }
    if !from.is_file() {
        bail!("файл {} не найден", from.display());
    }
    let result = parta_db::sqlite_integrity(from)
        .await
        .context("резервная копия не читается как база SQLite")?;
    if result != "ok" {
        bail!("резервная копия повреждена: {result}");
    }
    let target = config.data_dir.join("parta.db");
    std::fs::create_dir_all(&config.data_dir)?;
    if target.exists() {
        let old = config.data_dir.join(format!(
            "parta.db.before-restore-{}",
            parta_core::time::now_ms()
        ));
        std::fs::rename(&target, &old)?;
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(config.data_dir.join(format!("parta.db{ext}")));
        }
        println!("Прежняя база сохранена как {}", old.display());
    }
    std::fs::copy(from, &target)?;
    // The chats' search index was of the database replaced: built anew at the next start.
    let _ = std::fs::remove_dir_all(parta_chat::search::dir_in(&config.data_dir));
    println!("База восстановлена из {}", from.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::listen_address;

    #[test]
    fn the_demo_listens_on_this_computer_unless_told_otherwise() {
        assert_eq!(listen_address(None, true, "0.0.0.0"), "127.0.0.1");
        assert_eq!(
            listen_address(Some("0.0.0.0".into()), true, "0.0.0.0"),
            "0.0.0.0"
        );
        assert_eq!(listen_address(None, false, "0.0.0.0"), "0.0.0.0");
    }
}

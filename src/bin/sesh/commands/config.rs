//! The configuration file (sesh-config(5)) at the edge: where it is, reading it, applying its
//! defaults under the command line and the environment; and `sesh config`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use sesh::ErrorKind;
use sesh::cli::{Command, ConfigAction, ConfigArgs, GlobalArgs};
use sesh::config::{Config, Source, pick};

use super::{Ctx, Result};
use crate::render::Report;

/// The largest configuration file read (a real one is a few hundred bytes).
const MAX_CONFIG_FILE: u64 = 1 << 16;

/// The configuration file: `--config`, else `SESH_CONFIG`, else the platform's configuration
/// directory for sesh (`$XDG_CONFIG_HOME/sesh/config.toml` on Linux); and whether it was
/// named (then it must exist).
pub(crate) fn path(global: &GlobalArgs) -> Result<(PathBuf, bool)> {
    if let Some(p) = &global.config {
        return Ok((p.clone(), true));
    }
    let dirs = directories::ProjectDirs::from("", "", "sesh").ok_or_else(|| {
        Report::with_kind(
            ErrorKind::Failure,
            "no configuration directory: HOME is not set".into(),
            Some("name the configuration file with --config FILE or SESH_CONFIG".into()),
        )
    })?;
    Ok((dirs.config_dir().join("config.toml"), false))
}

/// Reads the configuration file at `path`; a missing one is no configuration unless `named`.
fn read(path: &Path, named: bool) -> Result<Config> {
    let io = |source| sesh::Error::Io {
        action: "reading configuration file",
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            return Ok(Config::default());
        }
        Err(e) => return Err(io(e).into()),
    };
    let bad = |what: String| -> Report {
        Report::with_kind(
            ErrorKind::InvalidInput,
            format!("configuration file '{}': {what}", path.display()),
            Some("see sesh-config(5) for its keys and values".into()),
        )
    };
    if file.metadata().map_err(io)?.is_dir() {
        return Err(bad("a directory, not a file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_CONFIG_FILE {
        return Err(bad(format!("larger than {MAX_CONFIG_FILE} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let mut config = Config::parse(&text).map_err(|e| bad(crate::escape::line(&e.to_string())))?;
    for p in [
        &mut config.identity,
        &mut config.attachments_dir,
        &mut config.daemon_socket,
    ]
    .into_iter()
    .flatten()
    {
        *p = home(p);
    }
    if let Some(n) = &mut config.network
        && n.starts_with("~/")
    {
        *n = home(Path::new(n)).to_string_lossy().into_owned();
    }
    Ok(config)
}

/// `~/x` as HOME/x; other paths as they are.
fn home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), directories::BaseDirs::new()) {
        (Ok(rest), Some(b)) => b.home_dir().join(rest),
        _ => p.to_owned(),
    }
}

/// Where a value given on the command line or in the environment came from; `None`: not
/// given (a default, or absent).
fn given(m: &ArgMatches, id: &str) -> Option<Source> {
    match m.try_get_raw(id).ok().flatten().and(m.value_source(id)) {
        Some(ValueSource::CommandLine) => Some(Source::Flag),
        Some(ValueSource::EnvVariable) => Some(Source::Env),
        _ => None,
    }
}

impl Ctx {
    /// Reads the configuration file and applies its defaults under what the command line
    /// and the environment gave (`matches`, as parsed): the network, and the defaults of
    /// `command`'s options. `sesh config path` reads no file.
    pub(crate) fn configure(
        &mut self,
        global: &GlobalArgs,
        matches: &ArgMatches,
        command: &mut Command,
    ) -> Result<()> {
        let (file, named) = path(global)?;
        self.config_path = Some(file.clone());
        if matches!(
            command,
            Command::Config(ConfigArgs {
                action: ConfigAction::Path
            })
        ) {
            return Ok(());
        }
        let config = read(&file, named)?;
        let (network, source) = pick(
            given(matches, "network").map(|s| (global.network.clone(), s)),
            config.network.clone(),
            global.network.clone(),
        );
        self.network = network;
        self.network_source = source;
        match command {
            Command::Send(a) => {
                if a.name.is_none() {
                    a.name.clone_from(&config.display_name);
                }
                let sub = matches.subcommand_matches("send");
                if let (None, Some(ttl)) = (sub.and_then(|m| given(m, "ttl")), config.ttl) {
                    a.ttl = ttl;
                }
            }
            Command::Receive(a) if a.save_attachments.is_none() => {
                a.save_attachments.clone_from(&config.attachments_dir);
            }
            _ => {}
        }
        self.recipient_identity =
            super::recipient_identity(command).and_then(|a| a.identity.clone());
        self.config = config;
        Ok(())
    }
}

/// `sesh config`.
pub(crate) fn run(ctx: &Ctx, args: &ConfigArgs) -> Result<()> {
    let Some(file) = &ctx.config_path else {
        return Err(Report::failure(anyhow::anyhow!(
            "no configuration file path"
        )));
    };
    match args.action {
        ConfigAction::Path => {
            if ctx.json {
                ctx.line(serde_json::json!({"type": "config", "path": file}))
            } else {
                ctx.line(file.display())
            }
        }
        ConfigAction::Show => show(ctx),
    }
}

/// `sesh config show`: every setting in effect, and where it came from.
fn show(ctx: &Ctx) -> Result<()> {
    let c = ctx.config();
    let text = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let file_or = |v: Option<String>, builtin: Option<String>| match v {
        Some(v) => (Some(v), Source::File),
        None => (builtin, Source::Default),
    };
    let identity = match std::env::var_os("SESH_IDENTITY").filter(|v| !v.is_empty()) {
        Some(v) => (Some(PathBuf::from(v).display().to_string()), Source::Env),
        None => file_or(
            text(&c.identity),
            sesh::store::default_identity_path()
                .ok()
                .map(|p| p.display().to_string()),
        ),
    };
    let rows = [
        ("identity", identity),
        ("network", (Some(ctx.network.clone()), ctx.network_source)),
        ("display_name", file_or(c.display_name.clone(), None)),
        (
            "ttl",
            file_or(
                c.ttl.map(|d| humantime::format_duration(d).to_string()),
                Some("14days".into()),
            ),
        ),
        ("attachments_dir", file_or(text(&c.attachments_dir), None)),
        ("daemon_socket", file_or(text(&c.daemon_socket), None)),
    ];
    for (key, (value, source)) in rows {
        if ctx.json {
            ctx.line(serde_json::json!({
                "type": "setting", "key": key, "value": value, "source": source.as_str()
            }))?;
        } else {
            let value = value.map_or_else(|| "(unset)".to_owned(), |v| crate::escape::line(&v));
            ctx.line(format_args!("{key} = {value} ({})", source.as_str()))?;
        }
    }
    Ok(())
}

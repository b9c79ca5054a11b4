//! `sesh profile set|show`: the display name and avatar every message `sesh send` sends
//! carries, kept per identity in the state database.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore as _};
use sesh::cli::{ProfileAction, ProfileArgs, ProfileSetArgs, ProfileShowArgs};
use sesh::clock::{Clock as _, SystemClock};
use sesh::profile::{self, Avatar, MAX_AVATAR_LEN, Profile};
use sesh::{Identity, SessionId};

use super::message::format_time;
use super::{Ctx, Result, is_stdio, read_stdin};
use crate::escape;
use crate::output::{AvatarFields, ProfileRecord, Record};

pub(crate) fn run(ctx: &Ctx, args: &ProfileArgs) -> Result<()> {
    match &args.action {
        ProfileAction::Set(a) => set(ctx, a),
        ProfileAction::Show(a) => show(ctx, a),
    }
}

fn set(ctx: &Ctx, args: &ProfileSetArgs) -> Result<()> {
    // Resolve and check everything before the state is touched.
    if args.avatar.as_deref().is_some_and(is_stdio)
        && args.identity.identity.as_deref().is_some_and(is_stdio)
    {
        return Err(sesh::Error::Input(
            "the avatar and the identity cannot both come from standard input".to_owned(),
        )
        .into());
    }
    let identity = ctx.load_identity(&args.identity)?;
    if let Some(name) = &args.name {
        profile::check_name(name)?;
    }
    let avatar = match &args.avatar {
        Some(path) => Some(Avatar::new(read_avatar(path)?)?),
        None => None,
    };

    let mut state = ctx.state()?;
    let me = identity.session_id();
    let now_s = SystemClock.now_ms() / 1000;
    let mut p = match state.profile(&me)? {
        Some(p) => p,
        None => {
            // The profile key: made once, kept for every avatar after (§10.4).
            let mut key = zeroize::Zeroizing::new([0u8; 32]);
            OsRng.fill_bytes(key.as_mut());
            Profile::new(*key, now_s)
        }
    };
    let before = p.clone();
    if let Some(name) = &args.name {
        p.display_name = Some(name.clone());
    }
    if let Some(new) = avatar {
        // The same image again keeps its upload.
        if p.avatar.as_ref().is_none_or(|old| old.image != new.image) {
            p.avatar = Some(new);
        }
    }
    if args.no_avatar {
        p.avatar = None;
    }
    if p != before {
        // Receivers keep the newest profile: a change is newer than the last, even within
        // the same second.
        p.updated_s = now_s.max(before.updated_s.saturating_add(1));
    }
    state.save_profile(&me, &p)?;
    print(ctx, &identity, &p)
}

fn show(ctx: &Ctx, args: &ProfileShowArgs) -> Result<()> {
    let identity = ctx.load_identity(&args.identity)?;
    let state = ctx.state()?;
    match state.profile(&identity.session_id())? {
        Some(p) => print(ctx, &identity, &p),
        None if ctx.json => ctx.record(&Record::Profile(ProfileRecord {
            session_id: identity.session_id().to_string(),
            display_name: None,
            avatar: None,
            updated_at: None,
        })),
        None => {
            ctx.line(format_args!("session_id: {}", identity.session_id()))?;
            ctx.line("name: (none)")?;
            ctx.line("avatar: (none)")?;
            ctx.note("no profile yet: set one with 'sesh profile set --name NAME'");
            Ok(())
        }
    }
}

/// The avatar image from `path` (`-`: standard input), read up to one byte past the limit.
/// A regular file too large is refused unread, with its size; a stream, as "more than" the
/// limit.
fn read_avatar(path: &Path) -> Result<Vec<u8>> {
    let limit = MAX_AVATAR_LEN as u64;
    if is_stdio(path) {
        return Ok(read_stdin(limit)?.ok_or(profile::ProfileError::AvatarOverLimit)?);
    }
    let io = |source: std::io::Error| {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => "check the path",
            _ => "the image must be a file readable by you",
        };
        crate::render::Report::from(sesh::Error::Io {
            action: "reading the avatar",
            path: PathBuf::from(path),
            source,
        })
        .with_hint(Some(hint.to_owned()))
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(crate::render::Report::from(sesh::Error::Input(format!(
            "avatar '{}' is a directory, not an image",
            path.display()
        )))
        .with_hint(Some("give a PNG, JPEG, GIF or WebP file".to_owned())));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(profile::ProfileError::AvatarTooLarge { len: meta.len() }.into());
    }
    let mut image = Vec::new();
    file.take(limit + 1).read_to_end(&mut image).map_err(io)?;
    if image.len() > MAX_AVATAR_LEN {
        return Err(profile::ProfileError::AvatarOverLimit.into());
    }
    Ok(image)
}

fn print(ctx: &Ctx, identity: &Identity, p: &Profile) -> Result<()> {
    let me: SessionId = identity.session_id();
    if ctx.json {
        return ctx.record(&Record::Profile(ProfileRecord {
            session_id: me.to_string(),
            display_name: p.display_name.clone(),
            avatar: p.avatar.as_ref().map(|a| AvatarFields {
                content_type: a.content_type.clone(),
                size: a.image.len(),
                url: a.upload.as_ref().map(|u| u.url.clone()),
                expires_at: a.upload.as_ref().map(|u| u.expires_s.saturating_mul(1000)),
            }),
            updated_at: Some(p.updated_s.saturating_mul(1000)),
        }));
    }
    ctx.line(format_args!("session_id: {me}"))?;
    match &p.display_name {
        Some(n) => ctx.line(format_args!("name: {}", escape::line(n)))?,
        None => ctx.line("name: (none)")?,
    }
    match &p.avatar {
        None => ctx.line("avatar: (none)")?,
        Some(a) => {
            let upload = match &a.upload {
                Some(u) => format!(
                    "uploaded to {} until {}",
                    escape::line(&u.url),
                    format_time(u.expires_s.saturating_mul(1000))
                ),
                None => "not uploaded yet (the next 'sesh send' uploads it)".to_owned(),
            };
            ctx.line(format_args!(
                "avatar: {}, {} bytes, {upload}",
                a.content_type,
                a.image.len()
            ))?;
        }
    }
    ctx.line(format_args!(
        "updated: {}",
        format_time(p.updated_s.saturating_mul(1000))
    ))
}

//! `sesh resolve`: the Session ID of an ONS name; and recipients given as names.

use std::collections::HashMap;

use sesh::SessionId;
use sesh::cli::ResolveArgs;
use sesh::ons::Name;

use sesh::ErrorKind;

use super::{Ctx, NetClient, Result, block_on};
use crate::output::{Record, ResolvedRecord};
use crate::render::Report;

pub(crate) fn run(ctx: &Ctx, args: &ResolveArgs) -> Result<()> {
    let name = Name::parse(&args.name).map_err(|e| {
        sesh::Error::Input(format!(
            "'{}' is not a valid ONS name: {e}",
            shown(&args.name)
        ))
    })?;
    let id = resolve(ctx, &name)?;
    if ctx.json {
        ctx.record(&Record::Resolved(ResolvedRecord {
            name: name.to_string(),
            session_id: id.to_string(),
        }))?;
    } else {
        ctx.line(id)?;
    }
    Ok(())
}

/// The Session ID registered for `name`, asked of the network.
pub(crate) fn resolve(ctx: &Ctx, name: &Name) -> Result<SessionId> {
    let mut client = ctx.client()?;
    resolve_with(&mut client, name)?.ok_or_else(|| {
        Report::with_kind(
            ErrorKind::InvalidInput,
            format!("no Session ID is registered for {name}"),
            Some(NAME_HINT.into()),
        )
    })
}

/// The Session ID registered for `name` (`None`: not registered), asked with `client`.
fn resolve_with(client: &mut NetClient, name: &Name) -> Result<Option<SessionId>> {
    Ok(block_on(client.resolve_ons(name))??)
}

/// A recipient as given on the command line: a Session ID, or a valid ONS name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    Id(SessionId),
    Name(Name),
}

/// Reads a recipient offline: a Session ID as is; else a valid ONS name (resolved by
/// [`recipients`]); else an input error saying it is neither, and why.
pub(crate) fn parse(text: &str) -> Result<Recipient> {
    let id_error = match text.parse::<SessionId>() {
        Ok(id) => return Ok(Recipient::Id(id)),
        Err(e) => e,
    };
    // ID-shaped text (empty, longer than any name, or hex after an ID prefix) is an ID,
    // misread — most likely cut short when pasted: its own error has the hints, and it is
    // not sent to the network as a name. (An ONS name of that shape, which the apps would
    // resolve, is given with `sesh resolve` first.)
    let id_shaped =
        text.is_empty() || text.len() > sesh::ons::MAX_NAME_LEN || id_prefixed_hex(text);
    if id_shaped {
        return Err(sesh::Error::SessionId {
            input: text.to_owned(),
            source: id_error,
        }
        .into());
    }
    match Name::parse(text) {
        Ok(name) => Ok(Recipient::Name(name)),
        Err(name_error) => Err(sesh::Error::Input(format!(
            "'{}' is neither a valid Session ID ({id_error}) nor a valid ONS name ({name_error})",
            shown(text)
        ))
        .into()),
    }
}

/// Reads a recipient offline, as every command does: a valid Session ID is always that ID;
/// else a contact name in the address book of the command's identity (`book`, opened at the
/// first text that is no ID); else as [`parse`] reads it (an ONS name, to resolve).
fn read(
    ctx: &Ctx,
    book: &mut Option<Option<sesh::client::State>>,
    text: &str,
) -> Result<Recipient> {
    if let Ok(id) = text.parse::<SessionId>() {
        return Ok(Recipient::Id(id));
    }
    if let Some(owner) = ctx.owner()? {
        let state = match book {
            Some(s) => s,
            None => book.insert(Some(ctx.state()?)),
        };
        if let Some(state) = state
            && let Some(id) = state
                .contact_id(&owner, text)
                .map_err(sesh::client::Error::State)?
        {
            return Ok(Recipient::Id(id));
        }
    }
    parse(text)
}

/// The Session IDs of `texts`, in order: each read with [`read`] (Session IDs, then contact
/// names, offline) before anything goes online, then the ONS names resolved, each distinct
/// name once, with one client made at the first name (a command given only IDs and contacts
/// stays offline until it sends). A name no one registered is an input error (exit 2)
/// saying it was not a Session ID and was tried as an ONS name.
pub(crate) fn recipients(ctx: &Ctx, texts: &[&str]) -> Result<Vec<SessionId>> {
    let mut book = None;
    let given = texts
        .iter()
        .map(|t| read(ctx, &mut book, t))
        .collect::<Result<Vec<_>>>()?;
    drop(book);
    let mut client: Option<NetClient> = None;
    let mut known: HashMap<Name, SessionId> = HashMap::new();
    let mut ids = Vec::with_capacity(given.len());
    for r in given {
        let name = match r {
            Recipient::Id(id) => {
                ids.push(id);
                continue;
            }
            Recipient::Name(name) => name,
        };
        if let Some(id) = known.get(&name) {
            ids.push(*id);
            continue;
        }
        let c = match &mut client {
            Some(c) => c,
            None => client.insert(ctx.client()?),
        };
        let id = resolve_with(c, &name)?.ok_or_else(|| unregistered(&name))?;
        known.insert(name, id);
        ids.push(id);
    }
    Ok(ids)
}

/// One recipient, as [`recipients`] reads it: a client is made only for an ONS name.
pub(crate) fn recipient(ctx: &Ctx, text: &str) -> Result<SessionId> {
    let given = read(ctx, &mut None, text)?;
    id_or_name(ctx, given)
}

/// A Session ID, or the Session ID an ONS name has now (no contact names: what `sesh contact
/// add` names).
pub(crate) fn id_or_ons(ctx: &Ctx, text: &str) -> Result<SessionId> {
    id_or_name(ctx, parse(text)?)
}

/// `given`'s Session ID: itself, or its name's, resolved with a new client.
fn id_or_name(ctx: &Ctx, given: Recipient) -> Result<SessionId> {
    match given {
        Recipient::Id(id) => Ok(id),
        Recipient::Name(name) => {
            let mut client = ctx.client()?;
            Ok(resolve_with(&mut client, &name)?.ok_or_else(|| unregistered(&name))?)
        }
    }
}

/// A recipient that is no Session ID and, as an ONS name, not registered.
fn unregistered(name: &Name) -> Report {
    Report::with_kind(
        ErrorKind::InvalidInput,
        format!(
            "'{name}' is not a Session ID, and tried as an ONS name: no Session ID is \
             registered for {name}"
        ),
        Some(NAME_HINT.into()),
    )
}

/// Whether `text` is hex after a Session ID prefix (`05`, `03`, `15`, `25`, `00`).
fn id_prefixed_hex(text: &str) -> bool {
    ["05", "03", "15", "25", "00"]
        .iter()
        .any(|p| text.starts_with(p))
        && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The hint for a name no one registered.
const NAME_HINT: &str = "check the spelling (names are not case-sensitive), or give the \
                         66-character Session ID";

/// `text` as an error message shows it: escaped, and cut short past what any name or ID
/// is (an argument of megabytes is not echoed back whole).
fn shown(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return crate::escape::line(text);
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} bytes)",
        crate::escape::line(&text[..end]),
        text.len()
    )
}

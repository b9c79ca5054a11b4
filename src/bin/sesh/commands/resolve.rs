//! `sesh resolve`: the Session ID of an ONS name; and recipients given as names.

use sesh::SessionId;
use sesh::cli::ResolveArgs;
use sesh::ons::Name;

use super::{Ctx, Result, block_on};
use crate::output::{Record, ResolvedRecord};

pub(crate) fn run(ctx: &Ctx, args: &ResolveArgs) -> Result<()> {
    let name = Name::parse(&args.name).map_err(|e| {
        sesh::Error::Input(format!(
            "'{}' is not a valid ONS name: {e}",
            crate::escape::line(&args.name)
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
    let found = block_on(client.resolve_ons(name))??;
    found
        .ok_or_else(|| sesh::Error::Input(format!("no Session ID is registered for {name}")).into())
}

/// A recipient: a Session ID as is; else a valid ONS name, resolved; else an input error
/// saying it is neither, and why.
pub(crate) fn recipient(ctx: &Ctx, text: &str) -> Result<SessionId> {
    let id_error = match text.parse::<SessionId>() {
        Ok(id) => return Ok(id),
        Err(e) => e,
    };
    // ID-shaped text (empty, longer than any name, or hex after an ID prefix) is an ID,
    // misread: its own error has the hints.
    let id_shaped = text.is_empty()
        || text.len() > sesh::ons::MAX_NAME_LEN
        || (["05", "03", "15", "25", "00"]
            .iter()
            .any(|p| text.starts_with(p))
            && text.bytes().all(|b| b.is_ascii_hexdigit()));
    if id_shaped {
        return Err(sesh::Error::SessionId {
            input: text.to_owned(),
            source: id_error,
        }
        .into());
    }
    match Name::parse(text) {
        Ok(name) => resolve(ctx, &name),
        Err(name_error) => Err(sesh::Error::Input(format!(
            "'{}' is neither a valid Session ID ({id_error}) nor a valid ONS name ({name_error})",
            crate::escape::line(text)
        ))
        .into()),
    }
}

//! `sesh contact`: the address book of an identity (names for Session IDs).

use std::collections::HashMap;

use sesh::cli::{ContactAction, ContactAddArgs, ContactArgs};
use sesh::client::state::check_contact_name;
use sesh::{ErrorKind, SessionId};

use super::{Ctx, Result};
use crate::escape;
use crate::render::Report;

pub(crate) fn run(ctx: &Ctx, args: &ContactArgs) -> Result<()> {
    match &args.action {
        ContactAction::Add(a) => add(ctx, a),
        ContactAction::List(a) => {
            let me = ctx.load_identity(&a.identity)?.session_id();
            let book = ctx
                .state()?
                .contact_list(&me)
                .map_err(sesh::client::Error::State)?;
            for (name, id) in book {
                if ctx.json {
                    ctx.line(serde_json::json!({
                        "type": "contact", "name": name, "session_id": id.to_string()
                    }))?;
                } else {
                    ctx.line(format_args!("{} {id}", escape::line(&name)))?;
                }
            }
            Ok(())
        }
        ContactAction::Rm(a) => {
            let me = ctx.load_identity(&a.identity)?.session_id();
            let removed = ctx
                .state()?
                .remove_contact(&me, &a.name)
                .map_err(sesh::client::Error::State)?;
            if !removed {
                return Err(Report::with_kind(
                    ErrorKind::Failure,
                    format!("no contact named '{}'", escape::line(&a.name)),
                    Some("'sesh contact list' lists them".into()),
                ));
            }
            ctx.note(format_args!("removed contact '{}'", a.name));
            Ok(())
        }
    }
}

/// `sesh contact add`: everything checked, and an ONS name resolved, before the book changes.
fn add(ctx: &Ctx, a: &ContactAddArgs) -> Result<()> {
    check_contact_name(&a.name)
        .map_err(|e| sesh::Error::Input(format!("'{}': {e}", escape::line(&a.name))))?;
    let me = ctx.load_identity(&a.identity)?.session_id();
    let id = super::resolve::id_or_ons(ctx, &a.target)?;
    let mut state = ctx.state()?;
    let existed = state
        .add_contact(&me, &a.name, &id, a.force)
        .map_err(sesh::client::Error::State)?;
    if existed && !a.force {
        return Err(Report::with_kind(
            ErrorKind::InvalidInput,
            format!("a contact named '{}' exists", escape::line(&a.name)),
            Some("give --force to replace it".into()),
        ));
    }
    if ctx.json {
        ctx.line(serde_json::json!({
            "type": "contact", "name": a.name, "session_id": id.to_string()
        }))
    } else {
        ctx.line(format_args!("{} {id}", escape::line(&a.name)))
    }
}

/// The names `account` gave Session IDs, by ID (the first by name when an ID has several):
/// for `sesh receive` to show.
pub(crate) fn names(
    state: &sesh::client::State,
    account: &SessionId,
) -> Result<HashMap<SessionId, String>> {
    let mut by_id = HashMap::new();
    for (name, id) in state
        .contact_list(account)
        .map_err(sesh::client::Error::State)?
    {
        by_id.entry(id).or_insert(name);
    }
    Ok(by_id)
}

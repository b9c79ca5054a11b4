//! ONS: a name's Session ID, asked of three nodes that must agree (protocol.md §9).

use super::*;
use crate::ons::{self, Name, Record};
use crate::rpc::request::Request;
use crate::rpc::response::{self, OnsResolved, OxendResponse};

/// How many nodes are asked; all must give the same answer (as the apps do).
pub const ONS_NODES: usize = 3;

/// How many nodes are tried at most to get [`ONS_NODES`] answers (others are passed over
/// when they cannot be reached or answer no record).
const ONS_MAX_TRIES: usize = 6;

const METHOD: &str = "oxend_request ons_resolve";

/// One node's answer, judged: the ID, or `None` when the name is not registered.
fn judge(name: &Name, node: &Snode, status: u16, body: &[u8]) -> Result<Option<SessionId>, Error> {
    let node = short_key(&node.ed25519);
    if status != 200 {
        return Err(Error::NodeFailed {
            node,
            method: METHOD.into(),
            status,
            message: message_of(body),
        });
    }
    let bad = |reason: String| Error::BadAnswer {
        node: node.clone(),
        method: METHOD.into(),
        reason,
    };
    let answer: OxendResponse<OnsResolved> =
        response::decode(body).map_err(|e| bad(e.to_string()))?;
    let Some(encrypted_value) = answer.result.encrypted_value else {
        return Ok(None);
    };
    let record = Record {
        encrypted_value,
        nonce: answer.result.nonce,
    };
    ons::decrypt(name, &record)
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

/// The common answer of the nodes about `name`, or an error naming who (by short key, never
/// by address) said what.
pub(crate) fn agree(
    name: &Name,
    answers: &[(Ed25519Pub, Option<SessionId>)],
) -> Result<Option<SessionId>, Error> {
    let Some((_, first)) = answers.first() else {
        return Err(Error::InvalidInput("no node answered".into()));
    };
    if answers.iter().all(|(_, a)| a == first) {
        return Ok(*first);
    }
    let said: Vec<String> = answers
        .iter()
        .map(|(k, a)| {
            let what = a.map_or_else(|| "not registered".to_owned(), |id| id.to_string());
            format!("{} says {what}", short_key(k))
        })
        .collect();
    Err(Error::OnsDisagree {
        name: name.to_string(),
        said: said.join("; "),
    })
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    /// The Session ID registered for `name` (`None`: not registered), asked through onion
    /// paths of [`ONS_NODES`] different random nodes of the pool, which must all agree. A
    /// node that cannot be reached or answers no valid record is replaced by another, up to
    /// [`ONS_MAX_TRIES`] nodes in all.
    ///
    /// # Errors
    /// [`Error::OnsDisagree`] when the nodes disagree (naming who said what);
    /// [`Error::TooFewNodes`] when the pool has fewer than [`ONS_NODES`] nodes; when too few
    /// of the nodes tried gave an answer, the last one's error ([`Error::BadAnswer`] for a
    /// record that does not decrypt to a Session ID, or those of [`Client::onion_rpc`]).
    pub async fn resolve_ons(&mut self, name: &Name) -> Result<Option<SessionId>, Error> {
        let mut nodes = self.pool(false).await?.nodes().to_vec();
        if nodes.len() < ONS_NODES {
            return Err(Error::TooFewNodes {
                needed: ONS_NODES,
                have: nodes.len(),
            });
        }
        // A partial Fisher-Yates shuffle: the first `tries` are a uniform random choice.
        let tries = nodes.len().min(ONS_MAX_TRIES);
        for i in 0..tries {
            let span = u64::try_from(nodes.len() - i).unwrap_or(u64::MAX);
            let j = i + usize::try_from(self.rng.next_u64() % span).unwrap_or(0);
            nodes.swap(i, j);
        }
        let request = Request::OnsResolve {
            name_hash: name.hash(),
        };
        // A node that cannot be reached, or answers something that is no record, is passed
        // over for another (one broken node must not make a name unusable); a node that
        // answers a valid record is counted, and every counted answer must agree (one lying
        // node makes the resolution fail, never go wrong).
        let mut answers = Vec::with_capacity(ONS_NODES);
        let mut last_error = None;
        for node in &nodes[..tries] {
            if answers.len() == ONS_NODES {
                break;
            }
            let judged = match self.onion_rpc(node, &request).await {
                Ok((status, body)) => judge(name, node, status, &body),
                Err(e) => Err(e),
            };
            match judged {
                Ok(answer) => answers.push((node.ed25519, answer)),
                Err(e) => last_error = Some(e),
            }
        }
        if answers.len() < ONS_NODES {
            return Err(last_error.unwrap_or(Error::TooFewNodes {
                needed: ONS_NODES,
                have: answers.len(),
            }));
        }
        agree(name, &answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> Name {
        Name::parse("Bob").unwrap()
    }

    fn id(b: u8) -> SessionId {
        SessionId::from_x25519(X25519Pub([b; 32]))
    }

    #[test]
    fn three_equal_answers_agree() {
        let k = |b| Ed25519Pub([b; 32]);
        assert_eq!(
            agree(
                &n(),
                &[
                    (k(1), Some(id(7))),
                    (k(2), Some(id(7))),
                    (k(3), Some(id(7)))
                ]
            )
            .unwrap(),
            Some(id(7))
        );
        assert_eq!(
            agree(&n(), &[(k(1), None), (k(2), None), (k(3), None)]).unwrap(),
            None
        );
    }

    #[test]
    fn one_dissenter_is_named() {
        let k = |b| Ed25519Pub([b; 32]);
        let e = agree(
            &n(),
            &[(k(1), Some(id(7))), (k(2), Some(id(7))), (k(3), None)],
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, Error::OnsDisagree { .. }), "{e:?}");
        assert_eq!(
            e.kind(),
            ErrorKind::Transient,
            "exit 3: the network's fault"
        );
        assert!(text.contains("disagree about the ONS name bob"), "{text}");
        assert!(text.contains("not registered"), "{text}");
        assert!(text.contains(&id(7).to_string()), "{text}");
    }
}

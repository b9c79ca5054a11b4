//! `sesh path`: the onion paths, drawn as the Session apps' Path screen draws them; new
//! paths; and the latency of each hop ("onion traceroute").

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use sesh::ErrorKind;
use sesh::cli::{PathAction, PathArgs};
use sesh::clock::{Stopwatch, format_ms, round_ms};
use sesh::onion::OnionPath;
use sesh::rpc::request::Request;
use sesh::swarm::{Snode, SnodePool};
use sesh::transport::short_key;

use super::{Ctx, NetClient, Result, block_on};
use crate::escape;
use crate::output::{HopRecord, NodeFields, PathHop, PathRecord, Record};
use crate::render::Report;

/// Requests per hop in `sesh path test`; the fastest counts.
const SAMPLES: usize = 3;

/// `v2.8.0`, or `-` when unknown.
pub(crate) fn version_text(v: Option<[u16; 3]>) -> String {
    v.map_or_else(|| "-".to_owned(), |[a, b, c]| format!("v{a}.{b}.{c}"))
}

/// The largest GeoIP database read: GeoLite2-City is about 60 MB.
const MAX_GEOIP_LEN: u64 = 256 << 20;

/// A MaxMind-format database (GeoLite2-Country, GeoLite2-City, …), for country codes.
struct GeoIp(maxminddb::Reader<Vec<u8>>);

impl GeoIp {
    fn open(path: &Path) -> Result<Self> {
        use std::io::Read as _;
        let bad = |e: &dyn std::fmt::Display| {
            sesh::Error::Input(format!("GeoIP database '{}': {e}", path.display()))
        };
        let file =
            sesh::store::open_input(path, sesh::store::FIFO_WRITER_WAIT).map_err(|e| bad(&e))?;
        if file.metadata().map_err(|e| bad(&e))?.is_dir() {
            return Err(bad(&"a directory, not a database").into());
        }
        // Bounded: `--geoip /dev/zero` is refused, not read until memory runs out.
        let mut bytes = Vec::new();
        file.take(MAX_GEOIP_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(&e))?;
        if bytes.len() as u64 > MAX_GEOIP_LEN {
            return Err(bad(&format!("larger than {MAX_GEOIP_LEN} bytes")).into());
        }
        let reader = maxminddb::Reader::from_source(bytes).map_err(|e| bad(&e))?;
        Ok(Self(reader))
    }

    /// The ISO country code of `n`'s address (its registered country when the database
    /// has no country for it), if the database knows one.
    fn country(&self, n: &Snode) -> Option<String> {
        let found = self.0.lookup(IpAddr::V4(n.ip)).ok()?;
        ["country", "registered_country"]
            .iter()
            .find_map(|section| {
                found
                    .decode_path::<String>(&maxminddb::path![*section, "iso_code"])
                    .ok()
                    .flatten()
            })
    }
}

/// What to show of each hop.
struct Show<'a> {
    reveal: bool,
    geoip: Option<&'a GeoIp>,
    pool: &'a SnodePool,
}

impl Show<'_> {
    fn version(&self, n: &Snode) -> Option<[u16; 3]> {
        n.version.or_else(|| self.pool.get(&n.ed25519)?.version)
    }

    /// `1f000f09…1fef (v2.8.0, DE, 1.2.3.4:22021)`.
    fn hop_text(&self, n: &Snode) -> String {
        let mut parts = vec![version_text(self.version(n))];
        if let Some(g) = self.geoip {
            // The database's text, not ours: escaped like a node's.
            parts.push(
                g.country(n)
                    .map_or_else(|| "??".to_owned(), |c| escape::line(&c)),
            );
        }
        if self.reveal {
            parts.push(format!("{}:{}", n.ip, n.port));
        }
        format!("{} ({})", short_key(&n.ed25519), parts.join(", "))
    }

    /// The country, with `--geoip` (`Some(None)` when the database does not know it).
    fn country(&self, n: &Snode) -> Option<Option<String>> {
        self.geoip.map(|g| g.country(n))
    }

    fn hop_record(&self, n: &Snode) -> PathHop {
        PathHop {
            node: NodeFields::of(n, self.reveal),
            version: self.version(n),
            country: self.country(n),
        }
    }
}

pub(crate) fn run(ctx: &Ctx, args: &PathArgs) -> Result<()> {
    let geoip = args.geoip.as_deref().map(GeoIp::open).transpose()?;
    let action = args.action.unwrap_or(PathAction::Show);
    let mut client = ctx.client()?;
    let (paths, pool) = block_on(async {
        let paths = match action {
            PathAction::New => client.new_paths().await?,
            PathAction::Show | PathAction::Test => client.paths().await?,
        };
        let pool = client.pool(false).await?.clone();
        Ok::<_, sesh::client::Error>((paths, pool))
    })??;
    let show = Show {
        reveal: args.reveal,
        geoip: geoip.as_ref(),
        pool: &pool,
    };
    match action {
        PathAction::Show | PathAction::New => print_paths(ctx, &show, &paths),
        PathAction::Test => test(ctx, &show, &mut client, &paths),
    }
}

fn print_paths(ctx: &Ctx, show: &Show<'_>, paths: &[OnionPath]) -> Result<()> {
    for (i, p) in paths.iter().enumerate() {
        if ctx.json {
            ctx.record(&Record::Path(PathRecord {
                index: i + 1,
                path: i + 1,
                hops: p.hops().iter().map(|h| show.hop_record(h)).collect(),
            }))?;
        } else {
            let hops: Vec<String> = p.hops().iter().map(|h| show.hop_text(h)).collect();
            ctx.line(format_args!(
                "path {}: You → {} → destination",
                i + 1,
                hops.join(" → ")
            ))?;
        }
    }
    Ok(())
}

/// The fastest of [`SAMPLES`] `info` requests through `via` to `hop`.
async fn measure(client: &mut NetClient, via: &[Snode], hop: &Snode) -> Result<Duration, String> {
    let mut best = Duration::MAX;
    for _ in 0..SAMPLES {
        let watch = Stopwatch::start();
        let answer = client
            .onion_rpc_via(via, hop, &Request::Info)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let took = watch.elapsed();
        match answer {
            (200, _) => best = best.min(took),
            (status, body) => {
                let text = String::from_utf8_lossy(&body);
                return Err(format!("answered {status}: {text}"));
            }
        }
    }
    Ok(best)
}

fn test(ctx: &Ctx, show: &Show<'_>, client: &mut NetClient, paths: &[OnionPath]) -> Result<()> {
    let mut failures = 0;
    block_on(async {
        for (p, path) in paths.iter().enumerate() {
            let hops = path.hops();
            let mut previous = Duration::ZERO;
            let mut broken: Option<usize> = None;
            for (k, hop) in hops.iter().enumerate() {
                let result = match broken {
                    Some(b) => Err(format!("skipped: hop {b} failed")),
                    None => measure(client, &hops[..k], hop).await,
                };
                let (latency, error) = match result {
                    Ok(took) => (Some(took), None),
                    Err(e) => {
                        failures += 1;
                        broken.get_or_insert(k + 1);
                        (None, Some(e))
                    }
                };
                // The increment over the hop before, whose own latency is in it too.
                let increment = latency.map(|l| signed_ms(l, previous));
                if ctx.json {
                    ctx.record(&Record::Hop(HopRecord {
                        path: p + 1,
                        hop: k + 1,
                        node: NodeFields::of(hop, show.reveal),
                        latency_ms: latency.map(round_ms),
                        increment_ms: latency
                            .map(|l| round_ms(l) as i64 - round_ms(previous) as i64),
                        error,
                        country: show.country(hop),
                    }))?;
                } else {
                    let what = match (latency, increment, &error) {
                        (Some(l), Some(i), _) => format!("{:>10}  {i:>+9.1} ms", format_ms(l)),
                        (_, _, Some(e)) => format!("FAIL  {}", escape::line(e)),
                        _ => String::new(),
                    };
                    ctx.line(format_args!(
                        "path {}  hop {}  {}  {what}",
                        p + 1,
                        k + 1,
                        show.hop_text(hop)
                    ))?;
                }
                if let Some(l) = latency {
                    previous = l;
                }
            }
        }
        Ok::<(), Report>(())
    })??;
    if failures == 0 {
        return Ok(());
    }
    Err(Report::summary(
        ErrorKind::Partial,
        format!("{failures} hop(s) failed or were skipped"),
    ))
}

/// `a - b` in milliseconds, with a sign (a later hop can answer faster than an earlier one).
fn signed_ms(a: Duration, b: Duration) -> f64 {
    (a.as_secs_f64() - b.as_secs_f64()) * 1000.0
}

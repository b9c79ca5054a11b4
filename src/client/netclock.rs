//! The network clock: the offset between local time and the nodes' time.

use super::*;

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- network time --------------------------------------------------------------------

    /// Learns the network time from a reply's `"t"`, or from the `"t"` of batch subresults.
    pub(super) fn learn_time(&mut self, body: &Value) -> Result<(), Error> {
        let t = body.get("t").and_then(Value::as_u64).or_else(|| {
            body.get("results")?
                .as_array()?
                .iter()
                .filter_map(|r| r.get("body")?.get("t")?.as_u64())
                .next_back()
        });
        if let Some(t) = t {
            self.set_network_time(t)?;
        }
        Ok(())
    }

    pub(super) fn set_network_time(&mut self, t: u64) -> Result<(), Error> {
        let local = i128::from(self.clock.now_ms());
        let offset = i128::from(t) - local;
        self.offset_ms = i64::try_from(offset).unwrap_or(0);
        let stale = self
            .saved_offset_ms
            .is_none_or(|s| (s - self.offset_ms).abs() >= OFFSET_SAVE_THRESHOLD_MS);
        if stale {
            self.state
                .save_clock_offset_ms(self.offset_ms)
                .map_err(Error::State)?;
            self.saved_offset_ms = Some(self.offset_ms);
        }
        Ok(())
    }

    /// After a 406: learn the time from the answer's `"t"`, else from an `info` request to
    /// the same node.
    pub(super) async fn resync_clock(&mut self, dest: &Snode, body: &Value) -> Result<(), Error> {
        if let Some(t) = body.get("t").and_then(Value::as_u64) {
            return self.set_network_time(t);
        }
        let payload = json!({"method": "info", "params": {}}).to_string();
        self.ensure_paths().await?;
        let index = self.path_for(dest)?;
        if let (_, Attempt::Answer { status: 200, body }) =
            self.attempt(index, dest, payload.as_bytes()).await?
        {
            let t = body
                .get("t")
                .or_else(|| body.get("timestamp"))
                .and_then(Value::as_u64);
            if let Some(t) = t {
                self.set_network_time(t)?;
            }
        }
        Ok(())
    }
}

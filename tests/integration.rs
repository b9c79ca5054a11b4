//! The integration tests: one test binary, one module per area.

mod integration {
    pub(crate) mod support;

    mod identity_vectors;
    mod node_plumbing;
}

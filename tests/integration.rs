//! The integration tests: one test binary, one module per area.

mod integration {
    pub(crate) mod support;

    mod attachment_vectors;
    mod attachments_receive;
    mod bad_input;
    mod cli;
    mod client_devnet;
    mod config;
    mod contact;
    mod conversation;
    mod curve_vectors;
    mod daemon;
    mod devnet;
    mod fileserver;
    mod first_use;
    mod flood;
    mod generated;
    mod hostile;
    mod identity_vectors;
    mod kinds;
    mod message_cli;
    mod message_vectors;
    mod node_plumbing;
    mod onion_laws;
    mod onion_v4;
    mod onion_vectors;
    mod ons;
    mod phrase_props;
    mod probe_path;
    mod profile;
    mod qr;
    mod secrets;
    mod send_files;
    mod send_receive;
    mod unsend;
    mod vanity;
}

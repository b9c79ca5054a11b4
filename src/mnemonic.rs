//! Recovery phrases: Session's 13-word phrase, and BIP39 as a second format.
//!
//! Session's scheme mirrors session-desktop `ts/session/crypto/mnemonic.ts` and libsession-util
//! `src/mnemonics/mnemonics.cpp` (protocol.md §2): the Electrum/Monero list of 1626 English
//! words (`english.txt`, from session-desktop `mnemonic_languages/english.json`, SHA-256 of the
//! words joined by `\n` = `998df55c…f19b`), three words per 4 little-endian bytes, and a
//! 13th word repeating one of the first twelve, chosen by the CRC-32 of their 3-letter prefixes.
//! Words are matched by their first three letters, ignoring ASCII case, as libsession does.
//!
//! BIP39 phrases are the 12-word encoding of the same 16-byte seed (the `bip39` crate).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use zeroize::Zeroizing;

const WORDLIST: &str = include_str!("mnemonic/english.txt");
const N: u32 = 1626;
const PREFIX_LEN: usize = 3;

/// The number of words in a Session recovery phrase.
pub const SESSION_WORDS: usize = 13;
/// The number of words in a BIP39 phrase of a 16-byte seed.
pub const BIP39_WORDS: usize = 12;

fn words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| WORDLIST.lines().collect())
}

/// Index of the word whose 3-letter prefix is `prefix` (lowercase ASCII).
fn index_of_prefix(prefix: &str) -> Option<u32> {
    static INDEX: OnceLock<std::collections::HashMap<&'static str, u32>> = OnceLock::new();
    let map = INDEX.get_or_init(|| {
        words()
            .iter()
            .enumerate()
            .map(|(i, w)| (&w[..PREFIX_LEN], i as u32))
            .collect()
    });
    map.get(prefix).copied()
}

/// A recovery phrase format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Session's 13-word phrase, as the apps show it.
    Session,
    /// A 12-word BIP39 phrase of the same seed.
    Bip39,
}

impl Format {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Bip39 => "bip39",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "session" => Ok(Self::Session),
            "bip39" => Ok(Self::Bip39),
            other => Err(format!("unknown phrase format '{other}'")),
        }
    }
}

/// Encodes bytes (a multiple of 4 long) as Session words, without the checksum word.
fn encode_words(bytes: &[u8]) -> Vec<&'static str> {
    let list = words();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks_exact(4) {
        let x = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let w1 = x % N;
        let w2 = (x / N + w1) % N;
        let w3 = (x / N / N + w2) % N;
        out.extend([w1, w2, w3].map(|i| list[i as usize]));
    }
    out
}

fn checksum_index(words: &[&str]) -> usize {
    let mut crc = crc32fast::Hasher::new();
    for w in words {
        crc.update(&w.as_bytes()[..PREFIX_LEN.min(w.len())]);
    }
    crc.finalize() as usize % words.len()
}

/// The 13-word Session recovery phrase of a 16-byte seed.
pub fn encode(seed: &[u8; 16]) -> Zeroizing<String> {
    let mut ws = encode_words(seed);
    ws.push(ws[checksum_index(&ws)]);
    Zeroizing::new(ws.join(" "))
}

/// The 12-word BIP39 phrase of a 16-byte seed.
pub fn encode_bip39(seed: &[u8; 16]) -> Zeroizing<String> {
    // 16 bytes is always a valid BIP39 entropy length.
    let m = bip39::Mnemonic::from_entropy_in(bip39::Language::English, seed)
        .expect("should accept 16 bytes of entropy");
    Zeroizing::new(m.to_string())
}

/// Decodes a 13-word Session recovery phrase into its 16-byte seed.
///
/// Words are separated by any whitespace and matched by their first three letters, ignoring
/// ASCII case.
///
/// # Errors
/// [`DecodeError`] names the bad word and its position, or says the checksum failed.
pub fn decode(phrase: &str) -> Result<Zeroizing<[u8; 16]>, DecodeError> {
    let given: Vec<&str> = phrase.split_whitespace().collect();
    match given.len() {
        0 => return Err(DecodeError::Empty),
        12 => return Err(DecodeError::MissingChecksum),
        SESSION_WORDS => {}
        n => return Err(DecodeError::WordCount { got: n }),
    }
    let mut idx = [0u32; SESSION_WORDS];
    let mut lowered: Vec<Zeroizing<String>> = Vec::with_capacity(SESSION_WORDS);
    for (i, w) in given.iter().enumerate() {
        let lw = Zeroizing::new(w.to_ascii_lowercase());
        let found = lw
            .get(..PREFIX_LEN)
            .filter(|_| lw.is_char_boundary(PREFIX_LEN))
            .and_then(index_of_prefix);
        match found {
            Some(n) => idx[i] = n,
            None => {
                return Err(DecodeError::UnknownWord { position: i + 1 });
            }
        }
        lowered.push(lw);
    }
    let mut seed = Zeroizing::new([0u8; 16]);
    for (g, triple) in idx[..12].chunks_exact(3).enumerate() {
        let (w1, w2, w3) = (triple[0], triple[1], triple[2]);
        let x = u64::from(w1)
            + u64::from(N) * u64::from((N - w1 + w2) % N)
            + u64::from(N) * u64::from(N) * u64::from((N - w2 + w3) % N);
        if x % u64::from(N) != u64::from(w1) || x > u64::from(u32::MAX) {
            return Err(DecodeError::BadTriple {
                first: g * 3 + 1,
                last: g * 3 + 3,
            });
        }
        seed[g * 4..g * 4 + 4].copy_from_slice(&(x as u32).to_le_bytes());
    }
    let prefixes: Vec<&str> = idx[..12].iter().map(|&i| words()[i as usize]).collect();
    let want = checksum_index(&prefixes);
    if idx[12] != idx[want] {
        return Err(DecodeError::Checksum);
    }
    Ok(seed)
}

/// Decodes a 12-word BIP39 phrase into its 16-byte seed.
///
/// # Errors
/// [`DecodeError`] says which word is unknown or that the checksum failed.
pub fn decode_bip39(phrase: &str) -> Result<Zeroizing<[u8; 16]>, DecodeError> {
    let given: Vec<&str> = phrase.split_whitespace().collect();
    match given.len() {
        0 => return Err(DecodeError::Empty),
        BIP39_WORDS => {}
        n => return Err(DecodeError::Bip39WordCount { got: n }),
    }
    let normalized = Zeroizing::new(given.join(" ").to_lowercase());
    let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normalized).map_err(
        |e| match e {
            bip39::Error::UnknownWord(i) => DecodeError::UnknownWord { position: i + 1 },
            bip39::Error::InvalidChecksum => DecodeError::Checksum,
            _ => DecodeError::Bip39WordCount { got: given.len() },
        },
    )?;
    let (entropy, len) = m.to_entropy_array();
    let entropy = Zeroizing::new(entropy);
    let mut seed = Zeroizing::new([0u8; 16]);
    if len != 16 {
        return Err(DecodeError::Bip39WordCount { got: given.len() });
    }
    seed.copy_from_slice(&entropy[..16]);
    Ok(seed)
}

/// Decodes a phrase of either format: 13 words are Session's, 12 are BIP39.
///
/// # Errors
/// As [`decode`] and [`decode_bip39`]; 12 Session words get [`DecodeError::MissingChecksum`].
pub fn decode_any(phrase: &str) -> Result<(Format, Zeroizing<[u8; 16]>), DecodeError> {
    let count = phrase.split_whitespace().count();
    if count == BIP39_WORDS {
        match decode_bip39(phrase) {
            Ok(seed) => return Ok((Format::Bip39, seed)),
            Err(e) => {
                // Twelve words that are all Session words are a Session phrase missing its
                // checksum word more likely than a damaged BIP39 phrase.
                let all_session = phrase.split_whitespace().all(|w| {
                    let lw = w.to_ascii_lowercase();
                    lw.is_char_boundary(PREFIX_LEN.min(lw.len()))
                        && lw.get(..PREFIX_LEN).and_then(index_of_prefix).is_some()
                });
                let all_bip39 = phrase.split_whitespace().all(|w| {
                    bip39::Language::English
                        .find_word(&w.to_lowercase())
                        .is_some()
                });
                return Err(if all_session && !all_bip39 {
                    DecodeError::MissingChecksum
                } else {
                    e
                });
            }
        }
    }
    decode(phrase).map(|s| (Format::Session, s))
}

/// Why a recovery phrase did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// No words at all.
    #[error("the phrase is empty")]
    Empty,
    /// Twelve words: the Session checksum word is missing.
    #[error("12 words: the 13th (checksum) word is missing")]
    MissingChecksum,
    /// Not 13 words.
    #[error("expected 13 words, got {got}")]
    WordCount {
        /// How many words there were.
        got: usize,
    },
    /// Not 12 words, for BIP39.
    #[error("expected 12 BIP39 words, got {got}")]
    Bip39WordCount {
        /// How many words there were.
        got: usize,
    },
    /// A word is not in the word list. The word itself is not kept: a typo of a real word
    /// is most of that word's share of the secret, and errors end up on terminals and in logs.
    #[error("word {position} is not in the word list")]
    UnknownWord {
        /// 1-based position.
        position: usize,
    },
    /// Three words that do not encode any 4 bytes.
    #[error("words {first} to {last} do not form a valid group")]
    BadTriple {
        /// 1-based position of the first word of the group.
        first: usize,
        /// 1-based position of the last word.
        last: usize,
    },
    /// The checksum word does not match the others.
    #[error("the checksum failed: a word is wrong or the words are out of order")]
    Checksum,
}

impl DecodeError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Empty | Self::WordCount { .. } | Self::MissingChecksum => Some(
                "a Session recovery phrase has 13 words; a BIP39 phrase (--format bip39) has 12",
            ),
            Self::UnknownWord { .. } => {
                Some("check the spelling; only the first three letters of each word count")
            }
            Self::Checksum | Self::BadTriple { .. } => {
                Some("check every word and their order against your backup")
            }
            Self::Bip39WordCount { .. } => Some("BIP39 phrases of Session seeds have 12 words"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(h: &str) -> [u8; 16] {
        let mut s = [0u8; 16];
        hex::decode_to_slice(h, &mut s).unwrap();
        s
    }

    #[test]
    fn word_list_is_session_desktops() {
        use sha2::Digest;
        assert_eq!(words().len(), 1626);
        let joined = words().join("\n");
        assert_eq!(
            hex::encode(sha2::Sha256::digest(joined.as_bytes())),
            "998df55cb16d2318130c5cf7e9d4408247c8c4674935ee6e07d53f2f00ccf19b"
        );
    }

    #[test]
    fn encodes_published_phrases() {
        // protocol.md §12.2
        assert_eq!(
            encode(&seed("0123456789abcdef0123456789abcdef")).as_str(),
            "vexed enjoy pigment films adept voted vexed enjoy pigment films adept voted adept"
        );
        assert_eq!(
            encode(&seed("00112233445566778899aabbccddeeff")).as_str(),
            "python costume hamburger heels amnesty lukewarm antics value picked roped sowed southern amnesty"
        );
    }

    #[test]
    fn decodes_case_insensitively_and_by_prefix() {
        let s = decode("PUFFIN luxury annoyed rustled memoir faxed smidgen puddle kiwi nylon utopia zinger kiwi").unwrap();
        assert_eq!(*s, seed("39038c8988db02c1af44e8c847bd9713"));
        let s = decode("pufxx lux ann rus mem fax smi pud kiw nyl uto zin kiw").unwrap();
        assert_eq!(*s, seed("39038c8988db02c1af44e8c847bd9713"));
    }

    #[test]
    fn unknown_words_are_not_echoed() {
        // A typo of a real word ("pgiment" for "pigment", "abandn" for "abandon") is most of
        // the secret: the error names the position only.
        let session =
            "vexed enjoy pgiment films adept voted vexed enjoy pigment films adept voted adept";
        let bip39 = "abandon abandn abandon abandon abandon abandon abandon abandon abandon \
                     abandon abandon about";
        for (phrase, typo, position) in [(session, "pgiment", 3), (bip39, "abandn", 2)] {
            let e = decode_any(phrase).unwrap_err();
            assert_eq!(e, DecodeError::UnknownWord { position });
            let shown = format!("{e} {e:?} {}", e.hint().unwrap_or_default());
            assert!(shown.contains(&format!("word {position} ")), "{shown}");
            assert!(!shown.contains(typo), "{shown}");
            assert!(!shown.contains(&typo[..3]), "{shown}");
        }
    }

    #[test]
    fn names_bad_words() {
        assert_eq!(
            decode(
                "vexed enjoy pigment films adept voted vexed enjoy pigment films adept voted abbey"
            ),
            Err(DecodeError::Checksum)
        );
        assert_eq!(
            decode(
                "vexed enjoy xyzzy films adept voted vexed enjoy pigment films adept voted adept"
            ),
            Err(DecodeError::UnknownWord { position: 3 })
        );
        assert_eq!(
            decode(
                "vexed en pigment films adept voted vexed enjoy pigment films adept voted adept"
            ),
            Err(DecodeError::UnknownWord { position: 2 })
        );
        assert_eq!(
            decode("vexed enjoy pigment films adept voted vexed enjoy pigment films adept voted"),
            Err(DecodeError::MissingChecksum)
        );
        assert_eq!(decode(""), Err(DecodeError::Empty));
        // Multi-byte characters straddling the prefix do not panic.
        assert!(matches!(
            decode("vé vé vé vé vé vé vé vé vé vé vé vé vé"),
            Err(DecodeError::UnknownWord { position: 1, .. })
        ));
    }

    #[test]
    fn bip39_round_trips() {
        let s = seed("00112233445566778899aabbccddeeff");
        let p = encode_bip39(&s);
        assert_eq!(p.split(' ').count(), 12);
        assert_eq!(*decode_bip39(&p).unwrap(), s);
        let (fmt, back) = decode_any(&p).unwrap();
        assert_eq!((fmt, *back), (Format::Bip39, s));
    }

    #[test]
    fn auto_detects_a_session_phrase_missing_its_checksum() {
        assert_eq!(
            decode_any(
                "vexed enjoy pigment films adept voted vexed enjoy pigment films adept voted"
            )
            .unwrap_err(),
            DecodeError::MissingChecksum
        );
    }
}

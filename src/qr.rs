//! QR codes of a Session ID, drawn as text or written as a PNG image (sans-IO: bytes and
//! strings in, bytes and strings out).
//!
//! # Payload and error correction
//!
//! The apps' QR screens encode the plain Session ID, `05` and 64 lowercase hex digits, with
//! nothing around it, at error-correction level Q: session-desktop
//! `ts/components/dialog/edit-profile/EditProfileDialog.tsx` passes the account's own ID
//! (`QRView sessionID={us}`) to `ts/components/dialog/edit-profile/components.tsx`
//! (`SessionQRCode value={sessionID}`), and `ts/components/SessionQRCode.tsx` renders it
//! with `ecLevel={'Q'}` (repository session-foundation/session-desktop). session-android
//! encodes the same plain hex key (`QRCodeUtilities.encode(hexEncodedPublicKey, ...)`,
//! `app/src/main/java/org/thoughtcrime/securesms/util/QRCodeUtilities.kt` in a stored fork,
//! tujuhre12/session-android) at level M; any scanner reads either level, and Q, the
//! desktop's, survives more damage. [`encode`] takes the text as it is; `sesh id --qr` gives
//! it the Session ID's canonical (lowercase) form.
//!
//! The matrix comes from the `qrcode` crate; the drawings and the PNG file (one-bit
//! greyscale, a zlib stream of stored deflate blocks, CRC-32 and Adler-32) are made here.

use qrcode::{Color, EcLevel, QrCode};

/// Light modules drawn around the code on every side: the quiet zone the QR standard asks
/// for, without which a scanner may not find the code against a busy background.
pub const QUIET_ZONE: usize = 4;

/// Pixels per module of [`Qr::to_png`] when none is asked for.
pub const DEFAULT_SCALE: u32 = 8;

/// The largest scale [`Qr::to_png`] draws at: a larger one is drawn at this one.
pub const MAX_SCALE: u32 = 32;

/// Why a text has no QR code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not fit in the largest QR code at level Q.
    #[error("{len} bytes do not fit in a QR code")]
    TooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// The encoder refused the text for another reason.
    #[error("the text cannot be encoded as a QR code: {0}")]
    Encode(String),
}

impl crate::HasKind for QrError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

/// A QR code's modules, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    /// Modules on a side.
    width: usize,
    /// Row by row, `true` for a dark module; `width * width` of them.
    dark: Vec<bool>,
}

/// The QR code of `text` at error-correction level Q, as the apps draw it.
pub fn encode(text: &str) -> Result<Qr, QrError> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q).map_err(|e| match e {
            qrcode::types::QrError::DataTooLong => QrError::TooLong { len: text.len() },
            other => QrError::Encode(other.to_string()),
        })?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok(Qr { width, dark })
}

impl Qr {
    /// Modules on a side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Modules on a side with the quiet zone: what is drawn.
    pub fn drawn_width(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at column `x`, row `y` of the drawing (the quiet zone included)
    /// is dark; anything outside the code is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let (Some(x), Some(y)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) else {
            return false;
        };
        x < self.width && y < self.width && self.dark.get(y * self.width + x) == Some(&true)
    }

    /// The code in Unicode half blocks, two module rows per line, quiet zone included; each
    /// line ends with `\n`.
    ///
    /// The convention of `qrencode -t UTF8`: the glyphs (`█ ▀ ▄`) paint the *light*
    /// modules in the terminal's text colour and a space leaves a *dark* module in its
    /// background colour. Light text on a dark background, the usual terminal, then shows
    /// dark modules on a light square, as printed codes are; the quiet zone is drawn, so
    /// the square has its border whatever surrounds it. On a light terminal the same text
    /// shows the code inverted, which phone scanners read too; for a guaranteed reading
    /// there, [`Qr::to_ansi_half_blocks`] fixes both colours. Under the last module row,
    /// when the drawn width is odd, the lower halves are left to the background.
    pub fn to_half_blocks(&self) -> String {
        let n = self.drawn_width();
        let mut out = String::with_capacity((n + 1) * n.div_ceil(2) * 3);
        for y in (0..n).step_by(2) {
            for x in 0..n {
                let top_light = !self.is_dark(x, y);
                let bottom_light = y + 1 < n && !self.is_dark(x, y + 1);
                out.push(match (top_light, bottom_light) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
        }
        out
    }

    /// [`Qr::to_half_blocks`] with each line set in bright white on black (ANSI SGR 97;40)
    /// and reset at its end, as `qrencode -t ANSIUTF8` does: right on dark and light
    /// terminals alike, for a terminal that understands colour.
    pub fn to_ansi_half_blocks(&self) -> String {
        let mut out = String::new();
        for line in self.to_half_blocks().lines() {
            out.push_str("\x1b[97;40m");
            out.push_str(line);
            out.push_str("\x1b[0m\n");
        }
        out
    }

    /// The code in ASCII, one module row per line, `##` for a dark module and two spaces
    /// for a light one (as `qrencode -t ASCII`: dark text on a light background, paper or
    /// a light terminal), quiet zone included; each line ends with `\n`.
    pub fn to_ascii(&self) -> String {
        let n = self.drawn_width();
        let mut out = String::with_capacity((2 * n + 1) * n);
        for y in 0..n {
            for x in 0..n {
                out.push_str(if self.is_dark(x, y) { "##" } else { "  " });
            }
            out.push('\n');
        }
        out
    }

    /// The side of [`Qr::to_png`]'s image in pixels at `scale` pixels per module.
    pub fn png_side(&self, scale: u32) -> u32 {
        let side = self
            .drawn_width()
            .saturating_mul(clamp_scale(scale) as usize);
        u32::try_from(side).unwrap_or(u32::MAX)
    }

    /// A PNG image of the code, quiet zone included, `scale` pixels per module (clamped to
    /// 1..=[`MAX_SCALE`]): one-bit greyscale, black on white, not interlaced.
    pub fn to_png(&self, scale: u32) -> Vec<u8> {
        let scale = clamp_scale(scale) as usize;
        let side = self.drawn_width() * scale;
        let row_bytes = side.div_ceil(8);
        // The filtered image: each row is filter type 0 (none) and its packed pixels, the
        // most significant bit first, 1 for white.
        let mut raw = Vec::with_capacity((row_bytes + 1) * side);
        for py in 0..side {
            raw.push(0);
            let start = raw.len();
            raw.resize(start + row_bytes, 0);
            for px in 0..side {
                if !self.is_dark(px / scale, py / scale) {
                    raw[start + px / 8] |= 0x80 >> (px % 8);
                }
            }
        }
        let side = u32::try_from(side).unwrap_or(u32::MAX);
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&side.to_be_bytes());
        ihdr.extend_from_slice(&side.to_be_bytes());
        // Bit depth 1, colour type 0 (greyscale), compression 0, filter 0, interlace 0.
        ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

        let mut png = PNG_SIGNATURE.to_vec();
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &zlib_stored(&raw));
        chunk(&mut png, b"IEND", &[]);
        png
    }
}

/// The eight bytes every PNG file starts with.
pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

fn clamp_scale(scale: u32) -> u32 {
    scale.clamp(1, MAX_SCALE)
}

/// Appends one PNG chunk: length, type, data, and the CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // A chunk is at most 2^31 - 1 bytes; ours are far below (MAX_SCALE bounds the image).
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&len.to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// The most a stored deflate block holds.
const STORED_MAX: usize = 65_535;

/// A zlib stream (RFC 1950) of `data` in stored (uncompressed) deflate blocks (RFC 1951
/// §3.2.4): no compression, which a two-colour image of a few hundred pixels does not need.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(STORED_MAX).max(1);
    let mut out = Vec::with_capacity(2 + data.len() + 5 * blocks + 4);
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01: no dictionary, fastest, and
    // (CMF * 256 + FLG) a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut pieces = data.chunks(STORED_MAX).peekable();
    if pieces.peek().is_none() {
        // An empty final stored block.
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    }
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        // BFINAL in bit 0, BTYPE 00 (stored) in bits 1-2; the rest of the byte is padding.
        out.push(u8::from(last));
        // At most STORED_MAX, so it fits.
        let len = u16::try_from(piece.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// The CRC-32 (ISO-HDLC, as PNG and zlib use) of `data`.
fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// The Adler-32 checksum (RFC 1950 §8) of `data`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` could overflow 32 bits.
    for piece in data.chunks(5552) {
        for &byte in piece {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SID: &str = "05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72";

    #[test]
    fn crc32_of_the_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn adler32_of_known_strings() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        // Long enough to need the modulo more than once.
        let long = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &long {
            a = (a + u64::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(u64::from(adler32(&long)), (b << 16) | a);
    }

    /// The modules of `qr` with the quiet zone, row by row.
    fn drawn(qr: &Qr) -> Vec<Vec<bool>> {
        let n = qr.drawn_width();
        (0..n)
            .map(|y| (0..n).map(|x| qr.is_dark(x, y)).collect())
            .collect()
    }

    /// Decodes a module grid (quiet zone included) with an independent decoder.
    fn decode_modules(m: &[Vec<bool>]) -> String {
        let n = m.len();
        let scale = 4;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(n * scale, n * scale, |x, y| {
            if m[y / scale][x / scale] { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_matrix_is_the_encoders_with_a_light_quiet_zone() {
        let qr = encode(SID).unwrap();
        let code = QrCode::with_error_correction_level(SID, EcLevel::Q).unwrap();
        assert_eq!(qr.width(), code.width());
        assert_eq!(code.error_correction_level(), EcLevel::Q);
        let m = drawn(&qr);
        for (y, row) in m.iter().enumerate() {
            for (x, &dark) in row.iter().enumerate() {
                let inside = (QUIET_ZONE..QUIET_ZONE + qr.width()).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + qr.width()).contains(&y);
                let want = inside && code[(x - QUIET_ZONE, y - QUIET_ZONE)] == Color::Dark;
                assert_eq!(dark, want, "module ({x}, {y})");
            }
        }
        assert!(!qr.is_dark(usize::MAX, usize::MAX));
        assert_eq!(decode_modules(&m), SID);
    }

    #[test]
    fn half_blocks_decode_back_to_the_matrix_and_the_id() {
        let qr = encode(SID).unwrap();
        let text = qr.to_half_blocks();
        let n = qr.drawn_width();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), n.div_ceil(2));
        let mut m = vec![vec![false; n]; n];
        for (row, line) in lines.iter().enumerate() {
            let chars: Vec<char> = line.chars().collect();
            assert_eq!(chars.len(), n);
            for (x, c) in chars.into_iter().enumerate() {
                // Glyphs are light modules (qrencode -t UTF8).
                let (top_light, bottom_light) = match c {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    ' ' => (false, false),
                    other => panic!("unexpected {other:?}"),
                };
                m[2 * row][x] = !top_light;
                if 2 * row + 1 < n {
                    m[2 * row + 1][x] = !bottom_light;
                } else {
                    // Below the drawing: left to the background.
                    assert!(!bottom_light);
                }
            }
        }
        assert_eq!(m, drawn(&qr));
        assert_eq!(decode_modules(&m), SID);
        // The quiet zone's top rows are solid light.
        assert!(lines[0].chars().all(|c| c == '█'));
    }

    #[test]
    fn ansi_half_blocks_are_the_half_blocks_in_fixed_colours() {
        let qr = encode(SID).unwrap();
        let ansi = qr.to_ansi_half_blocks();
        let half = qr.to_half_blocks();
        let plain: Vec<&str> = half.lines().collect();
        let coloured: Vec<&str> = ansi.lines().collect();
        assert_eq!(coloured.len(), plain.len());
        for (c, p) in coloured.iter().zip(&plain) {
            assert_eq!(*c, format!("\x1b[97;40m{p}\x1b[0m"));
        }
    }

    #[test]
    fn ascii_decodes_back_to_the_matrix_and_the_id() {
        let qr = encode(SID).unwrap();
        let text = qr.to_ascii();
        assert!(text.is_ascii());
        let m: Vec<Vec<bool>> = text
            .lines()
            .map(|line| {
                assert_eq!(line.len(), 2 * qr.drawn_width());
                line.as_bytes()
                    .chunks(2)
                    .map(|p| match p {
                        b"##" => true,
                        b"  " => false,
                        other => panic!("unexpected {other:?}"),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(m, drawn(&qr));
        assert_eq!(decode_modules(&m), SID);
    }

    /// The chunks of a PNG file, each checked against its CRC: (type, data).
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(png[..8], PNG_SIGNATURE);
        let mut rest = &png[8..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = rest[4..8].try_into().unwrap();
            let data = rest[8..8 + len].to_vec();
            let crc = u32::from_be_bytes(rest[8 + len..12 + len].try_into().unwrap());
            assert_eq!(crc, crc32(&rest[4..8 + len]), "CRC of {kind:?}");
            out.push((kind, data));
            rest = &rest[12 + len..];
        }
        out
    }

    /// Inflates a zlib stream made only of stored blocks, checking its header and Adler-32.
    fn inflate_stored(z: &[u8]) -> Vec<u8> {
        assert_eq!((u16::from(z[0]) << 8 | u16::from(z[1])) % 31, 0);
        assert_eq!(z[0] & 0x0f, 8, "deflate");
        let mut pos = 2;
        let mut out = Vec::new();
        loop {
            let header = z[pos];
            assert_eq!(header >> 1 & 3, 0, "stored block");
            let len = u16::from_le_bytes([z[pos + 1], z[pos + 2]]);
            let nlen = u16::from_le_bytes([z[pos + 3], z[pos + 4]]);
            assert_eq!(len, !nlen);
            pos += 5;
            out.extend_from_slice(&z[pos..pos + usize::from(len)]);
            pos += usize::from(len);
            if header & 1 == 1 {
                break;
            }
        }
        assert_eq!(z[pos..], adler32(&out).to_be_bytes());
        out
    }

    /// The pixels of a PNG made by [`Qr::to_png`], `true` for black.
    fn pixels(png: &[u8]) -> (usize, Vec<Vec<bool>>) {
        let c = chunks(png);
        let kinds: Vec<&[u8; 4]> = c.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"IEND"]);
        let ihdr = &c[0].1;
        assert_eq!(ihdr.len(), 13);
        let w = u32::from_be_bytes(ihdr[0..4].try_into().unwrap()) as usize;
        let h = u32::from_be_bytes(ihdr[4..8].try_into().unwrap()) as usize;
        assert_eq!(w, h);
        assert_eq!(ihdr[8..], [1, 0, 0, 0, 0]);
        assert!(c[2].1.is_empty());
        let raw = inflate_stored(&c[1].1);
        let row_bytes = w.div_ceil(8);
        assert_eq!(raw.len(), h * (1 + row_bytes));
        let rows = raw
            .chunks(1 + row_bytes)
            .map(|row| {
                assert_eq!(row[0], 0, "filter type none");
                (0..w)
                    .map(|x| row[1 + x / 8] & (0x80 >> (x % 8)) == 0)
                    .collect()
            })
            .collect();
        (w, rows)
    }

    #[test]
    fn png_is_well_formed_and_decodes_back_to_the_id() {
        let qr = encode(SID).unwrap();
        for scale in [1, 3, DEFAULT_SCALE] {
            let png = qr.to_png(scale);
            let (w, px) = pixels(&png);
            assert_eq!(w, qr.drawn_width() * scale as usize);
            assert_eq!(w as u32, qr.png_side(scale));
            let m = drawn(&qr);
            for (y, row) in px.iter().enumerate() {
                for (x, &black) in row.iter().enumerate() {
                    let s = scale as usize;
                    assert_eq!(black, m[y / s][x / s], "pixel ({x}, {y}) at scale {scale}");
                }
            }
            if scale > 1 {
                let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, w, |x, y| {
                    if px[y][x] { 0 } else { 255 }
                });
                let grids = img.detect_grids();
                assert_eq!(grids.len(), 1);
                assert_eq!(grids[0].decode().unwrap().1, SID);
            }
        }
    }

    #[test]
    fn png_scale_is_clamped() {
        let qr = encode("x").unwrap();
        assert_eq!(qr.to_png(0), qr.to_png(1));
        assert_eq!(qr.to_png(u32::MAX), qr.to_png(MAX_SCALE));
        assert_eq!(qr.png_side(u32::MAX), (qr.drawn_width() as u32) * MAX_SCALE);
    }

    #[test]
    fn large_images_span_several_stored_blocks() {
        let z = zlib_stored(&vec![7u8; 3 * STORED_MAX + 10]);
        assert_eq!(inflate_stored(&z), vec![7u8; 3 * STORED_MAX + 10]);
        assert_eq!(inflate_stored(&zlib_stored(&[])), Vec::<u8>::new());
        // An image at the biggest scale spans several blocks and is well-formed.
        let qr = encode(SID).unwrap();
        let (w, _) = pixels(&qr.to_png(MAX_SCALE));
        assert_eq!(w, qr.drawn_width() * MAX_SCALE as usize);
    }

    #[test]
    fn too_long_a_text_is_an_error_not_a_panic() {
        let e = encode(&"x".repeat(10_000)).unwrap_err();
        assert!(matches!(e, QrError::TooLong { len: 10_000 }), "{e:?}");
        assert!(encode("").is_ok());
    }
}

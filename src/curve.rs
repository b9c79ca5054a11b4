//! X25519 (RFC 7748) computed with curve25519-dalek's fastest sound backend.
//!
//! [`x25519`] is exactly RFC 7748's `X25519(k, u)`: the scalar is clamped, the top bit of `u`
//! is ignored and `u` is taken mod p. It gives the same 32 bytes as the Montgomery ladder
//! (`MontgomeryPoint::mul_clamped`, which x25519-dalek and libsodium compute) for every input,
//! and is faster: when `u` is the u-coordinate of a point `P` on Curve25519 it computes
//! `[k]P` in Edwards form, where curve25519-dalek picks its vectorised backend at run time
//! (AVX2 on x86_64), and maps the result back to `u`. The ladder's serial field arithmetic is
//! kept for the `u` that are on the twist (about half of all 32-byte strings, and `u = −1`),
//! which no Edwards point has. On the 2-vCPU AMD EPYC of BENCHMARKS.md that is 1.1–1.35×
//! faster than the ladder, depending on the run (`cargo bench --bench onion -- x25519`): the
//! lift to Edwards and back costs a square root and an inversion.
//!
//! [`x25519_base`] is the fixed-base multiplication `X25519(k, 9)`, a public key: it already
//! uses the Edwards basepoint tables (`MontgomeryPoint::mul_base_clamped`).
//!
//! Constant time: both paths are constant time with respect to the secret scalar. Which path
//! runs, and the conversion to Edwards form (an inversion and a square root), depend only on
//! the public `u`.

use curve25519_dalek::montgomery::MontgomeryPoint;
use zeroize::Zeroize as _;

/// RFC 7748 `X25519(secret, public)`: the u-coordinate of `[clamp(secret)]·P` for the point
/// `P` whose u-coordinate is `public` (top bit ignored, taken mod p).
///
/// Equal byte for byte to the Montgomery ladder (x25519-dalek, libsodium
/// `crypto_scalarmult`), including for points of small order or with a torsion component (the
/// clamped scalar is used unreduced) and for points on the twist. The all-zero result of a
/// small-order `public` is returned as it is: callers that must refuse it, as libsodium does,
/// check for it.
///
/// # Security
/// Constant time in `secret`; the branch between the Edwards path and the ladder depends only
/// on `public`. The result is secret key material.
pub fn x25519(secret: &[u8; 32], public: &[u8; 32]) -> [u8; 32] {
    match edwards_x25519(secret, public, 0) {
        Some(shared) => shared,
        None => MontgomeryPoint(*public).mul_clamped(*secret).to_bytes(),
    }
}

/// RFC 7748 `X25519(secret, 9)`: the X25519 public key of `secret` (clamped), computed with
/// the Edwards basepoint tables.
pub fn x25519_base(secret: &[u8; 32]) -> [u8; 32] {
    MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

/// Whether a shared secret is all zeros (the result of a small-order public key), without
/// stopping at the first non-zero byte.
pub(crate) fn is_zero(shared: &[u8; 32]) -> bool {
    shared.iter().fold(0u8, |acc, &b| acc | b) == 0
}

/// `X25519(secret, public)` through the Edwards point of u-coordinate `public` and sign
/// `sign`, or `None` when `public` is on the twist (no Edwards point has it).
///
/// Either sign gives the same result: the two points `±P` have the same u-coordinate
/// (u = (1 + y)/(1 − y) does not depend on x), and so have `[k](±P) = ±[k]P`.
fn edwards_x25519(secret: &[u8; 32], public: &[u8; 32], sign: u8) -> Option<[u8; 32]> {
    let point = MontgomeryPoint(*public).to_edwards(sign)?;
    // `mul_clamped` multiplies by the clamped scalar as an integer below 2^255, not reduced
    // mod ℓ: reducing would change the result for points with a torsion component.
    let mut product = point.mul_clamped(*secret);
    let shared = product.to_montgomery().to_bytes();
    product.zeroize();
    Some(shared)
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::constants::{EIGHT_TORSION, X25519_BASEPOINT};
    use curve25519_dalek::edwards::EdwardsPoint;
    use proptest::prelude::*;

    use super::*;

    fn h32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).unwrap();
        out
    }

    /// The standard: the Montgomery ladder, and x25519-dalek (which is the same ladder).
    fn ladder(secret: &[u8; 32], public: &[u8; 32]) -> [u8; 32] {
        let dalek = x25519_dalek::x25519(*secret, *public);
        let ladder = MontgomeryPoint(*public).mul_clamped(*secret).to_bytes();
        assert_eq!(dalek, ladder);
        ladder
    }

    /// Checks `x25519` against the ladder, and both signs of the Edwards path when it applies.
    fn check(secret: &[u8; 32], public: &[u8; 32]) -> [u8; 32] {
        let expected = ladder(secret, public);
        assert_eq!(
            x25519(secret, public),
            expected,
            "k = {}, u = {}",
            hex::encode(secret),
            hex::encode(public)
        );
        let plus = edwards_x25519(secret, public, 0);
        let minus = edwards_x25519(secret, public, 1);
        assert_eq!(plus.is_some(), minus.is_some());
        if let (Some(plus), Some(minus)) = (plus, minus) {
            assert_eq!(plus, expected);
            assert_eq!(minus, expected);
        }
        expected
    }

    const P: &str = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";

    /// p + n, little-endian, for n < 19 (below 2^255).
    fn p_plus(n: u8) -> [u8; 32] {
        let mut u = h32(P);
        u[0] += n;
        u
    }

    /// The u-coordinates of small order (libsodium's blocklist): 0, 1, the two of order 8,
    /// −1 (order 4 on the twist), and their non-canonical encodings: p and p + 1 for 0 and 1,
    /// and each with the top bit set.
    fn small_order_encodings() -> Vec<[u8; 32]> {
        let mut one = [0u8; 32];
        one[0] = 1;
        let canonical = [
            [0u8; 32],
            one,
            h32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
            h32("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
            h32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
            p_plus(0),
            p_plus(1),
        ];
        let mut all = Vec::new();
        for u in canonical {
            let mut top = u;
            top[31] |= 0x80;
            all.extend([u, top]);
        }
        all
    }

    #[test]
    fn rfc7748_section_5_2_vectors() {
        for (k, u, out) in [
            (
                "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
            ),
            (
                // u has its top bit set, which X25519 ignores.
                "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
            ),
        ] {
            assert_eq!(hex::encode(check(&h32(k), &h32(u))), out);
        }
    }

    #[test]
    fn rfc7748_iterated_vector() {
        // §5.2: k = u = 9, then u ← k, k ← X25519(k, u); 1 and 1,000 iterations.
        let (mut k, mut u) = (X25519_BASEPOINT.0, X25519_BASEPOINT.0);
        for i in 1..=1000 {
            let next = x25519(&k, &u);
            u = k;
            k = next;
            if i == 1 {
                assert_eq!(
                    hex::encode(k),
                    "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"
                );
            }
        }
        assert_eq!(
            hex::encode(k),
            "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"
        );
    }

    #[test]
    fn rfc7748_section_6_1_diffie_hellman() {
        let a = h32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let b = h32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let a_pub = x25519_base(&a);
        let b_pub = x25519_base(&b);
        assert_eq!(
            hex::encode(a_pub),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert_eq!(
            hex::encode(b_pub),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
        );
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(hex::encode(check(&a, &b_pub)), shared);
        assert_eq!(hex::encode(check(&b, &a_pub)), shared);
        assert_eq!(x25519_base(&a), check(&a, &X25519_BASEPOINT.0));
    }

    #[test]
    fn small_order_points_and_their_encodings_give_zero_as_the_ladder_does() {
        let secrets = [[0u8; 32], [0xff; 32], h32(P), [0x55; 32]];
        let mut on_the_curve = 0;
        for u in small_order_encodings() {
            for k in &secrets {
                assert_eq!(check(k, &u), [0u8; 32], "u = {}", hex::encode(u));
            }
            if edwards_x25519(&[0x55; 32], &u, 0).is_some() {
                on_the_curve += 1;
            }
        }
        // The Edwards path meets them all but −1 (on the twist), in each encoding.
        assert_eq!(on_the_curve, 12);
    }

    #[test]
    fn minus_one_and_values_at_or_above_p() {
        let k = h32("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        let minus_one = h32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        assert!(MontgomeryPoint(minus_one).to_edwards(0).is_none());
        check(&k, &minus_one);
        for n in 0..19 {
            let above = p_plus(n);
            let mut canonical = [0u8; 32];
            canonical[0] = n;
            // u ≥ p is taken mod p: the same result as u − p.
            assert_eq!(check(&k, &above), check(&k, &canonical), "p + {n}");
        }
        let all_ones = [0xffu8; 32];
        check(&k, &all_ones);
    }

    #[test]
    fn points_with_a_torsion_component_match_the_ladder() {
        // [s]B + T for each 8-torsion point T: unreduced scalars matter here.
        for (i, t) in EIGHT_TORSION.iter().enumerate() {
            for s in [[3u8; 32], [0x9a; 32]] {
                let q = EdwardsPoint::mul_base_clamped(s) + t;
                let u = q.to_montgomery().to_bytes();
                let k = [i as u8 + 0x10; 32];
                check(&k, &u);
                assert!(edwards_x25519(&k, &u, 0).is_some());
            }
        }
    }

    #[test]
    fn twist_points_take_the_ladder() {
        // u = 2 is on the twist (2·(4 + 2·486662 + 1) is not a square mod p).
        let mut u = [0u8; 32];
        u[0] = 2;
        assert!(edwards_x25519(&[1; 32], &u, 0).is_none());
        check(&[1; 32], &u);
    }

    proptest! {
        #[test]
        fn random_inputs_match_the_ladder(k: [u8; 32], u: [u8; 32]) {
            // Any 32 bytes: about half are on the twist, some have the top bit set or are ≥ p.
            check(&k, &u);
        }

        #[test]
        fn random_curve_points_match_the_ladder(k: [u8; 32], s: [u8; 32], t in 0usize..8) {
            let u = (EdwardsPoint::mul_base_clamped(s) + EIGHT_TORSION[t])
                .to_montgomery()
                .to_bytes();
            prop_assert!(edwards_x25519(&k, &u, 0).is_some());
            check(&k, &u);
        }

        #[test]
        fn base_is_the_ladder_on_nine(k: [u8; 32]) {
            prop_assert_eq!(x25519_base(&k), ladder(&k, &X25519_BASEPOINT.0));
            prop_assert_eq!(
                x25519_base(&k),
                x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(k)).to_bytes()
            );
        }
    }
}

//! Pairwise additive masks agreed by key exchange (secure aggregation in
//! the style of Bonawitz et al. 2017, without its double masking; see
//! docs/federated.md for the threat model).
//!
//! * Each node derives, for every analysis run, an X25519 key pair from
//!   its long-term secret and the run's id (HKDF-SHA256), and sends the
//!   public key in the run's first round. The hub relays the list.
//! * Nodes `i` and `j` agree on a shared secret by X25519 and expand it
//!   with HKDF-SHA256 (salt: the run id; info: both names, sorted) into a
//!   32-byte **pair seed** for the run. Nobody else — the hub included —
//!   can compute it.
//! * For the `k`-th masked sum of the run, the pair's mask is the ChaCha20
//!   stream of the pair seed with stream number `k`, read as ring elements
//!   (four 64-bit words each). The node whose name sorts first adds it, the
//!   other subtracts it, so the masks cancel in the sum over all nodes and
//!   each node's vector alone is uniformly random to anyone without the
//!   seeds.
//! * **Signed run keys.** Each node also has an Ed25519 identity key,
//!   derived from its long-term secret ([`NodeSecret::identity_hex`] is
//!   what the other centres enrol in their policies, `peers`). It signs
//!   its run public key together with the run, the study and its name
//!   ([`key_message`]); the hub relays the signatures with the keys, and a
//!   node whose policy enrols its peers masks with a peer's key only when
//!   the peer's enrolled identity signed it. A hub that substitutes a key
//!   of its own (a man in the middle, who could then compute the pair
//!   seeds and unmask a node) is detected: the node refuses the round.
//! * **Drop-out.** If a node that sent its key does not send its masked
//!   vector, the survivors' masks with it do not cancel. Each survivor then
//!   reveals its seed with the dropped node *for that sum only*
//!   ([`sum_seed`]; only with it: a seed of a pair of two survivors is
//!   never revealed), and the hub removes those masks. The dropped node's
//!   vectors of earlier sums stay masked: their sum seeds are not derivable
//!   from this one. The revealed seeds are those of pairs containing the dropped
//!   node, whose vector the hub never received; they unmask nothing a
//!   survivor sent, because each survivor's vector stays masked by its
//!   seeds with the other survivors. The dropped node is out of the run:
//!   the hub no longer asks it, and a node refuses a round whose list of
//!   participants does not name it.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use hkdf::Hkdf;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use crate::ring::R256;

/// A node's long-term secret, from which its per-run keys derive.
#[derive(Clone)]
pub struct NodeSecret([u8; 32]);

impl std::fmt::Debug for NodeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeSecret(..)")
    }
}

impl NodeSecret {
    /// A fresh secret from the operating system's random source.
    pub fn random() -> NodeSecret {
        let mut b = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut b);
        NodeSecret(b)
    }

    /// A secret from given bytes (tests; a node keeping its secret in a file).
    pub fn from_bytes(bytes: [u8; 32]) -> NodeSecret {
        NodeSecret(bytes)
    }

    /// This node's X25519 secret for one run.
    fn run_key(&self, run: &str) -> StaticSecret {
        let hk = Hkdf::<Sha256>::new(Some(run.as_bytes()), &self.0);
        let mut k = [0u8; 32];
        // 32 bytes is always a valid HKDF-SHA256 output length.
        let _ = hk.expand(b"netra-federation x25519 run key", &mut k);
        StaticSecret::from(k)
    }

    /// This node's Ed25519 identity key (derived: no second secret file).
    fn identity(&self) -> SigningKey {
        let hk = Hkdf::<Sha256>::new(Some(b"netra-federation identity"), &self.0);
        let mut k = [0u8; 32];
        let _ = hk.expand(b"netra-federation ed25519 identity key", &mut k);
        SigningKey::from_bytes(&k)
    }

    /// The node's identity (Ed25519 public key, hex): what the other
    /// centres enrol in their policies (`peers`) to check its run keys.
    pub fn identity_hex(&self) -> String {
        hex(self.identity().verifying_key().as_bytes())
    }

    /// The signature (hex) of this node's run key for `run` of `study`,
    /// sent with the key in the run's first round.
    pub fn sign_run_key(&self, run: &str, study: &str, me: &str) -> String {
        let msg = key_message(run, study, me, &self.public_hex(run));
        hex(&self.identity().sign(msg.as_bytes()).to_bytes())
    }

    /// The public key sent in the run's first round (hex).
    pub fn public_hex(&self, run: &str) -> String {
        hex(PublicKey::from(&self.run_key(run)).as_bytes())
    }

    /// The pair seed this node shares with `peer` (named `peer_name`,
    /// public key `peer_public` in hex) in run `run`.
    pub fn pair_seed(
        &self,
        run: &str,
        me: &str,
        peer_name: &str,
        peer_public: &str,
    ) -> Option<[u8; 32]> {
        let bytes: [u8; 32] = unhex(peer_public)?.try_into().ok()?;
        let shared = self.run_key(run).diffie_hellman(&PublicKey::from(bytes));
        if !shared.was_contributory() {
            return None;
        }
        let (a, b) = if me < peer_name {
            (me, peer_name)
        } else {
            (peer_name, me)
        };
        let hk = Hkdf::<Sha256>::new(Some(run.as_bytes()), shared.as_bytes());
        let mut seed = [0u8; 32];
        let info = format!("netra-federation pair seed\0{a}\0{b}");
        let _ = hk.expand(info.as_bytes(), &mut seed);
        Some(seed)
    }
}

/// What a node signs: its run key bound to the run, the study and its
/// name, so that a signature cannot be replayed for another run or node.
pub fn key_message(run: &str, study: &str, node: &str, public_hex: &str) -> String {
    format!("netra-federation run key v1\0{run}\0{study}\0{node}\0{public_hex}")
}

/// Whether `signature` (hex) is `node`'s signature, by the identity
/// `identity` (hex), of its run key `public_hex` in `run` of `study`.
pub fn verify_run_key(
    identity: &str,
    run: &str,
    study: &str,
    node: &str,
    public_hex: &str,
    signature: &str,
) -> bool {
    let Some(id) = unhex(identity)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(sig) = unhex(signature).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return false;
    };
    let msg = key_message(run, study, node, public_hex);
    id.verify(msg.as_bytes(), &Signature::from_bytes(&sig))
        .is_ok()
}

/// The seed of a pair for masked sum number `sum` alone, derived from the
/// pair's run seed: what masks that sum, and what a survivor reveals when
/// its peer drops out of it (earlier and later sums keep their own).
pub fn sum_seed(pair_seed: &[u8; 32], sum: u64) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"netra-federation sum seed"), pair_seed);
    let mut seed = [0u8; 32];
    let _ = hk.expand(&sum.to_le_bytes(), &mut seed);
    seed
}

/// The mask of a pair for masked sum number `sum` of a run: `len` ring
/// elements of the pair seed's ChaCha20 stream `sum`.
pub fn pair_mask(seed: &[u8; 32], sum: u64, len: usize) -> Vec<R256> {
    let mut rng = ChaCha20Rng::from_seed(*seed);
    rng.set_stream(sum);
    (0..len)
        .map(|_| {
            R256([
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
            ])
        })
        .collect()
}

/// Applies the pair's mask to `values` as `me` does: added when `me` sorts
/// before `peer`, subtracted otherwise.
pub fn apply_pair_mask(values: &mut [R256], seed: &[u8; 32], sum: u64, me: &str, peer: &str) {
    let mask = pair_mask(seed, sum, values.len());
    for (v, m) in values.iter_mut().zip(mask) {
        *v = if me < peer {
            v.wrapping_add(m)
        } else {
            v.wrapping_sub(m)
        };
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads [`hex`].
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three nodes' masked vectors are uniformly scrambled one by one and
    /// add to the plain sum; a dropped node's masks are removed with the
    /// survivors' seeds with it.
    #[test]
    fn pairwise_masks_cancel_and_drop_outs_are_recovered() {
        let names = ["a", "b", "c"];
        let secrets: Vec<NodeSecret> = (0..3u8)
            .map(|k| NodeSecret::from_bytes([k + 1; 32]))
            .collect();
        let publics: Vec<String> = secrets.iter().map(|s| s.public_hex("run-1")).collect();
        let plain: Vec<Vec<R256>> = (0..3u64)
            .map(|k| vec![R256::count(k + 1), R256::fixed(-0.5 * k as f64).unwrap()])
            .collect();
        let masked: Vec<Vec<R256>> = (0..3)
            .map(|i| {
                let mut v = plain[i].clone();
                for j in 0..3 {
                    if i != j {
                        let seed = secrets[i]
                            .pair_seed("run-1", names[i], names[j], &publics[j])
                            .unwrap();
                        apply_pair_mask(&mut v, &seed, 7, names[i], names[j]);
                    }
                }
                v
            })
            .collect();
        // Each masked vector differs from its plain one.
        for i in 0..3 {
            assert_ne!(masked[i], plain[i]);
        }
        let mut sum = vec![R256::ZERO; 2];
        for v in &masked {
            crate::ring::add_into(&mut sum, v);
        }
        assert_eq!(sum[0].to_count().unwrap(), 6);
        assert_eq!(sum[1].to_f64(), -1.5);
        // Both ends derive the same seed; another run gives another.
        let ab = secrets[0]
            .pair_seed("run-1", "a", "b", &publics[1])
            .unwrap();
        let ba = secrets[1]
            .pair_seed("run-1", "b", "a", &publics[0])
            .unwrap();
        assert_eq!(ab, ba);
        let other = secrets[0]
            .pair_seed("run-2", "a", "b", &secrets[1].public_hex("run-2"))
            .unwrap();
        assert_ne!(ab, other);
        // c drops out: a and b reveal their seeds with c only.
        let mut partial = vec![R256::ZERO; 2];
        crate::ring::add_into(&mut partial, &masked[0]);
        crate::ring::add_into(&mut partial, &masked[1]);
        for (i, me) in [(0, "a"), (1, "b")] {
            let seed = secrets[i].pair_seed("run-1", me, "c", &publics[2]).unwrap();
            // Remove what `me` applied.
            let mask = pair_mask(&seed, 7, 2);
            for (p, m) in partial.iter_mut().zip(mask) {
                *p = if me < "c" {
                    p.wrapping_sub(m)
                } else {
                    p.wrapping_add(m)
                };
            }
        }
        assert_eq!(partial[0].to_count().unwrap(), 3);
        assert_eq!(partial[1].to_f64(), -0.5);
        assert!(secrets[0].pair_seed("run-1", "a", "b", "zz").is_none());
    }

    /// A run key verifies under its node's identity only, for its own run,
    /// study and name; sum seeds differ per sum.
    #[test]
    fn run_keys_are_signed_by_the_nodes_identity() {
        let a = NodeSecret::from_bytes([1; 32]);
        let b = NodeSecret::from_bytes([2; 32]);
        let key = a.public_hex("r1");
        let sig = a.sign_run_key("r1", "s", "a");
        assert!(verify_run_key(
            &a.identity_hex(),
            "r1",
            "s",
            "a",
            &key,
            &sig
        ));
        // Another identity, run, study, name or key: refused.
        assert!(!verify_run_key(
            &b.identity_hex(),
            "r1",
            "s",
            "a",
            &key,
            &sig
        ));
        assert!(!verify_run_key(
            &a.identity_hex(),
            "r2",
            "s",
            "a",
            &key,
            &sig
        ));
        assert!(!verify_run_key(
            &a.identity_hex(),
            "r1",
            "t",
            "a",
            &key,
            &sig
        ));
        assert!(!verify_run_key(
            &a.identity_hex(),
            "r1",
            "s",
            "b",
            &key,
            &sig
        ));
        let substituted = b.public_hex("r1");
        assert!(!verify_run_key(
            &a.identity_hex(),
            "r1",
            "s",
            "a",
            &substituted,
            &sig
        ));
        assert!(!verify_run_key(
            &a.identity_hex(),
            "r1",
            "s",
            "a",
            &key,
            "00"
        ));
        assert!(!verify_run_key("zz", "r1", "s", "a", &key, &sig));
        // The identity is stable and differs from the run key.
        assert_eq!(
            a.identity_hex(),
            NodeSecret::from_bytes([1; 32]).identity_hex()
        );
        assert_ne!(a.identity_hex(), key);
        let seed = [9u8; 32];
        assert_ne!(sum_seed(&seed, 0), sum_seed(&seed, 1));
        assert_ne!(sum_seed(&seed, 0), seed);
    }
}

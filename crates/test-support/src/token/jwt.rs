//! The issuer's signing key and self-signed certificate, and ES256 JWTs carrying the
//! certificate in `x5c` (distribution 2.8 checks that chain against `rootcertbundle`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

/// An ECDSA P-256 key with its self-signed certificate.
pub(crate) struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    cert_pem: String,
    rng: SystemRandom,
}

impl Signer {
    /// A fresh key and certificate (common name `common_name`).
    pub(crate) fn generate(common_name: &str) -> Signer {
        let key_pair = rcgen::KeyPair::generate().expect("generate a P-256 key");
        let mut params = rcgen::CertificateParams::new(vec![common_name.to_string()])
            .expect("certificate parameters");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let cert = params
            .self_signed(&key_pair)
            .expect("self-sign the issuer certificate");
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            key_pair.serialized_der(),
            &rng,
        )
        .expect("ring reads rcgen's PKCS#8 key");
        Signer {
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            rng,
        }
    }

    /// The certificate, PEM: the registry's `rootcertbundle`.
    pub(crate) fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A compact JWS (`header.claims.signature`) of `claims`, signed ES256.
    pub(crate) fn sign(&self, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({
            "alg": "ES256",
            "typ": "JWT",
            "x5c": [STANDARD.encode(&self.cert_der)],
        });
        let input = format!("{}.{}", encode_json(&header), encode_json(claims));
        let signature = self
            .key
            .sign(&self.rng, input.as_bytes())
            .expect("ES256 signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

fn encode_json(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, KeyPair as _, UnparsedPublicKey};

    #[test]
    fn token_has_three_parts_and_a_valid_signature() {
        let signer = Signer::generate("test-issuer");
        let token = signer.sign(&serde_json::json!({"sub": "u"}));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");
        let public = signer.key.public_key().as_ref().to_vec();
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let message = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(message.as_bytes(), &signature)
            .expect("signature verifies");
    }
}

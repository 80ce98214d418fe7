//! Named references: `[domain/]path[:tag][@digest]`.

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;
use crate::error::ReferenceError;
use crate::grammar::{is_domain, is_path, is_tag};
use crate::is_image_id;

/// The registry that short names belong to.
pub const DEFAULT_DOMAIN: &str = "docker.io";

/// The tag that pull and run use when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";

/// An old spelling of [`DEFAULT_DOMAIN`] that some users and tools still write.
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";

/// Docker Hub's namespace for official images.
const OFFICIAL_NAMESPACE: &str = "library/";

/// Longest `domain/path` Docker accepts.
const NAME_MAX: usize = 255;

/// A named image reference, normalised as Docker does.
///
/// It always holds a domain and a full path (`docker.io` and
/// `library/alpine` for `alpine`), and at most one tag and one digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// The pieces of an input, split but not yet checked.
struct Parts<'a> {
    domain: Option<&'a str>,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl Reference {
    /// Parses a name as a user types it, filling in Docker Hub defaults.
    ///
    /// A short name gets the `docker.io` domain, and a single-component Hub
    /// path gets the `library/` namespace. No tag is added: see
    /// [`Reference::parse_with_default_tag`].
    ///
    /// ```
    /// use container_reference::Reference;
    ///
    /// let alpine = Reference::parse("alpine").unwrap();
    /// assert_eq!(alpine.domain(), "docker.io");
    /// assert_eq!(alpine.path(), "library/alpine");
    /// assert_eq!(alpine.tag(), None);
    ///
    /// // Only a `:` after the last `/` starts a tag; this one is a port.
    /// let local = Reference::parse("localhost:5000/redis:7").unwrap();
    /// assert_eq!(local.domain(), "localhost:5000");
    /// assert_eq!(local.tag(), Some("7"));
    ///
    /// // 64 hex characters would read as an image ID, so they are no name.
    /// assert!(Reference::parse(&"a".repeat(64)).is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if is_image_id(s) {
            return Err(ReferenceError::HexRepository {
                input: s.to_owned(),
            });
        }
        // `sha256:<hex>` would otherwise read as repository `sha256` with a
        // hex tag (apple/container#1962); it names an image by ID instead.
        if Digest::parse(s).is_ok() {
            return Err(ReferenceError::DigestNotName {
                input: s.to_owned(),
            });
        }

        let reference = Parts::split(s).check(s)?;
        let length = reference.domain.len() + 1 + reference.path.len();
        if length > NAME_MAX {
            return Err(ReferenceError::NameTooLong {
                input: s.to_owned(),
                length,
            });
        }
        Ok(reference)
    }

    /// Parses like [`Reference::parse`] and adds `:latest` when the input
    /// has neither tag nor digest, as pull and run do.
    ///
    /// ```
    /// use container_reference::Reference;
    ///
    /// let alpine = Reference::parse_with_default_tag("alpine").unwrap();
    /// assert_eq!(alpine.to_string(), "docker.io/library/alpine:latest");
    /// ```
    pub fn parse_with_default_tag(s: &str) -> Result<Reference, ReferenceError> {
        Ok(Reference::parse(s)?.with_default_tag())
    }

    /// Parses a reference that must already be fully qualified, such as
    /// one read back from our own records.
    ///
    /// ```
    /// use container_reference::Reference;
    ///
    /// assert!(Reference::parse_canonical("docker.io/library/alpine:3").is_ok());
    /// assert!(Reference::parse_canonical("alpine:3").is_err());
    /// ```
    pub fn parse_canonical(s: &str) -> Result<Reference, ReferenceError> {
        let reference = Reference::parse(s)?;

        let canonical = reference.to_string();
        if canonical != s {
            return Err(ReferenceError::NameNotCanonical {
                input: s.to_owned(),
                canonical,
            });
        }
        Ok(reference)
    }

    /// The registry host, with its port if any, such as `docker.io`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, such as `library/alpine`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if the reference has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference has one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The full repository name, `domain/path`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The repository name as Docker shows it: without `docker.io/`, and
    /// without `library/` for official images.
    ///
    /// The result always parses back to the same repository.
    ///
    /// ```
    /// use container_reference::Reference;
    ///
    /// let name = |s| Reference::parse(s).unwrap().familiar_name();
    /// assert_eq!(name("docker.io/library/alpine"), "alpine");
    /// assert_eq!(name("someuser/app"), "someuser/app");
    /// assert_eq!(name("docker.io/library/foo/bar"), "library/foo/bar");
    /// assert_eq!(name("localhost:5000/redis"), "localhost:5000/redis");
    /// ```
    pub fn familiar_name(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }

        if let Some(official) = self.path.strip_prefix(OFFICIAL_NAMESPACE) {
            // A nested `library/a/b` keeps its prefix, and so does a 64-hex
            // name, which would otherwise read back as an image ID.
            let is_short = !official.contains('/') && !is_image_id(official);
            return if is_short { official } else { &self.path }.to_owned();
        }

        // `docker.io/foo.com/app` shown as `foo.com/app` would name another
        // registry, so it keeps its domain.
        let first = self.path.split('/').next().unwrap_or_default();
        if looks_like_domain(first) {
            self.name()
        } else {
            self.path.clone()
        }
    }

    /// The reference as Docker shows it: [`Reference::familiar_name`] with
    /// the tag and digest.
    ///
    /// ```
    /// use container_reference::Reference;
    ///
    /// let alpine = Reference::parse("docker.io/library/alpine:latest").unwrap();
    /// assert_eq!(alpine.familiar(), "alpine:latest");
    ///
    /// let app = Reference::parse("index.docker.io/someuser/app:1.0").unwrap();
    /// assert_eq!(app.familiar(), "someuser/app:1.0");
    /// ```
    pub fn familiar(&self) -> String {
        let mut text = self.familiar_name();
        self.write_suffix(&mut text);
        text
    }

    /// The same repository and digest with `tag` as its tag.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !is_tag(tag) {
            let input = format!("{}:{tag}", self.name());
            return Err(ReferenceError::InvalidTag {
                input,
                tag: tag.to_owned(),
            });
        }
        Ok(Reference {
            tag: Some(tag.to_owned()),
            ..self.clone()
        })
    }

    /// The same repository and tag with `digest` as its digest.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The same reference with `latest` as its tag if it has neither tag
    /// nor digest; otherwise unchanged.
    pub fn with_default_tag(&self) -> Reference {
        let mut reference = self.clone();
        if reference.tag.is_none() && reference.digest.is_none() {
            reference.tag = Some(DEFAULT_TAG.to_owned());
        }
        reference
    }

    /// The same repository and digest, without the tag.
    pub fn without_tag(&self) -> Reference {
        Reference {
            tag: None,
            ..self.clone()
        }
    }

    /// The same repository and tag, without the digest.
    pub fn without_digest(&self) -> Reference {
        Reference {
            digest: None,
            ..self.clone()
        }
    }

    /// The bare repository, without tag or digest.
    pub fn without_tag_and_digest(&self) -> Reference {
        Reference {
            tag: None,
            digest: None,
            ..self.clone()
        }
    }

    /// Whether the registry runs on this machine: `localhost`, an address
    /// in 127.0.0.0/8 or `[::1]`, with any port.
    ///
    /// Docker treats such registries as insecure without being told to (its
    /// default insecure-registry range is 127.0.0.0/8), so plain HTTP is
    /// allowed for them; every other registry needs HTTPS unless the user
    /// lists it as insecure.
    ///
    /// ```
    /// use container_reference::Reference;
    ///
    /// assert!(Reference::parse("localhost:5000/app").unwrap().is_loopback());
    /// assert!(Reference::parse("127.0.0.1:5000/app").unwrap().is_loopback());
    /// assert!(!Reference::parse("alpine").unwrap().is_loopback());
    /// ```
    pub fn is_loopback(&self) -> bool {
        let host = host_without_port(&self.domain);
        host == "localhost" || host == "[::1]" || is_ipv4_loopback(host)
    }

    fn write_suffix(&self, text: &mut String) {
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(&digest.to_string());
        }
    }
}

impl<'a> Parts<'a> {
    /// Splits the input on the delimiters alone, following distribution's
    /// `splitDockerDomain`.
    fn split(s: &'a str) -> Parts<'a> {
        let (domain, rest) = match s.split_once('/') {
            Some((first, rest)) if looks_like_domain(first) => (Some(first), rest),
            _ => (None, s),
        };

        // Neither a path nor a tag may hold `@`, and a path holds no `:`, so
        // the first of each ends the part before it (C03: a port's `:` was
        // taken off with the domain).
        let (rest, digest) = split_off(rest, '@');
        let (path, tag) = split_off(rest, ':');
        Parts {
            domain,
            path,
            tag,
            digest,
        }
    }

    /// Checks every part against the grammar and fills in the defaults.
    fn check(self, input: &str) -> Result<Reference, ReferenceError> {
        let invalid = || ReferenceError::InvalidFormat {
            input: input.to_owned(),
        };

        // Uppercase is reported before anything else, as Docker does, since
        // it is the most common mistake.
        if self.path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::UppercaseRepository {
                input: input.to_owned(),
            });
        }
        if !self.domain.is_none_or(is_domain) || !is_path(self.path) {
            return Err(invalid());
        }
        if self.tag == Some("") || self.digest == Some("") {
            return Err(invalid());
        }

        let tag = self.tag.map(|tag| check_tag(input, tag)).transpose()?;
        let digest = self.digest.map(Digest::parse).transpose()?;
        let (domain, path) = normalise(self.domain, self.path);
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }
}

fn split_off(s: &str, delimiter: char) -> (&str, Option<&str>) {
    match s.split_once(delimiter) {
        Some((before, after)) => (before, Some(after)),
        None => (s, None),
    }
}

fn check_tag(input: &str, tag: &str) -> Result<String, ReferenceError> {
    if is_tag(tag) {
        Ok(tag.to_owned())
    } else {
        Err(ReferenceError::InvalidTag {
            input: input.to_owned(),
            tag: tag.to_owned(),
        })
    }
}

/// Applies the Docker Hub defaults (C01).
fn normalise(domain: Option<&str>, path: &str) -> (String, String) {
    let domain = match domain {
        None | Some(LEGACY_DEFAULT_DOMAIN) => DEFAULT_DOMAIN,
        Some(domain) => domain,
    };

    let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
        format!("{OFFICIAL_NAMESPACE}{path}")
    } else {
        path.to_owned()
    };
    (domain.to_owned(), path)
}

/// Whether the text before the first `/` names a registry rather than a
/// Docker Hub namespace (C02). A host needs a `.` or a port, or must be
/// `localhost`; uppercase also marks a host, since Hub namespaces are
/// lowercase.
fn looks_like_domain(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

fn host_without_port(domain: &str) -> &str {
    if let Some(end) = domain.find(']') {
        return &domain[..=end];
    }
    domain.split(':').next().unwrap_or(domain)
}

fn is_ipv4_loopback(host: &str) -> bool {
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| o.parse::<u8>().is_ok())
}

impl fmt::Display for Reference {
    /// The fully qualified form, such as `docker.io/library/alpine:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.name();
        self.write_suffix(&mut text);
        f.write_str(&text)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    /// The same as [`Reference::parse`].
    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(s)
    }
}

#[cfg(test)]
mod tests;

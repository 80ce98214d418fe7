//! `WWW-Authenticate` challenges, as a registry sends them with a 401.
//!
//! The grammar is [RFC 7235 §4.1](https://www.rfc-editor.org/rfc/rfc7235#section-4.1):
//! a header holds one or more challenges separated by commas, and each
//! challenge is a scheme followed by either a token68 or comma-separated
//! `name=value` parameters. Because commas separate both challenges and
//! parameters, a new challenge is recognised by a token that is *not*
//! followed by `=`.

use std::fmt;

/// An authentication scheme, compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `Basic`: username and password on every request.
    Basic,
    /// `Bearer`: a token fetched from the challenge's realm.
    Bearer,
    /// Any other scheme, lowercased (`negotiate`, `digest`, ...).
    Other(String),
}

/// One challenge: its scheme and its parameters in header order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme the registry asks for.
    pub scheme: Scheme,
    /// Parameters as `(name, value)`, names lowercased, values unescaped.
    pub params: Vec<(String, String)>,
}

impl Scheme {
    fn from_token(token: &str) -> Scheme {
        let lower = token.to_ascii_lowercase();
        match lower.as_str() {
            "basic" => Scheme::Basic,
            "bearer" => Scheme::Bearer,
            _ => Scheme::Other(lower),
        }
    }
}

impl fmt::Display for Scheme {
    /// The scheme in lowercase, as it is compared.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scheme::Basic => f.write_str("basic"),
            Scheme::Bearer => f.write_str("bearer"),
            Scheme::Other(name) => f.write_str(name),
        }
    }
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive); the first one wins
    /// if it is repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// `realm`: for Bearer, the URL of the token endpoint.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// `service`: the name the token endpoint expects for this registry.
    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// `scope`: the access the failed request needed, such as
    /// `repository:library/alpine:pull`.
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }
}

/// Parses every challenge in every header value, in order.
///
/// Malformed parts are skipped rather than failing the whole header, since
/// the caller only needs one challenge it understands.
///
/// ```
/// use container_registry::challenge::{parse_challenges, Scheme};
///
/// let header = r#"Bearer realm="https://auth.example.com/token",scope="repository:a:pull,push""#;
/// let challenges = parse_challenges([header]);
/// assert_eq!(challenges[0].scheme, Scheme::Bearer);
/// assert_eq!(challenges[0].scope(), Some("repository:a:pull,push"));
/// ```
pub fn parse_challenges<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    values.into_iter().flat_map(parse_header).collect()
}

/// The challenge to answer: the first Bearer one, else the first Basic one,
/// else none (no scheme we support).
pub fn select(challenges: &[Challenge]) -> Option<&Challenge> {
    let first = |scheme: Scheme| challenges.iter().find(|c| c.scheme == scheme);
    first(Scheme::Bearer).or_else(|| first(Scheme::Basic))
}

fn parse_header(value: &str) -> Vec<Challenge> {
    let mut cursor = Cursor { rest: value };
    let mut challenges = Vec::new();

    loop {
        cursor.skip_separators();
        if cursor.rest.is_empty() {
            return challenges;
        }

        let scheme = cursor.token();
        if scheme.is_empty() {
            // Not a challenge; resume after the next comma.
            cursor.skip_past(',');
            continue;
        }

        // A token68 (`Negotiate YII=`) is only ever used by schemes we do not
        // support, so it is stepped over rather than kept.
        cursor.skip_token68();
        let params = cursor.params();
        challenges.push(Challenge {
            scheme: Scheme::from_token(scheme),
            params,
        });
    }
}

/// What is left of a header value to parse.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    /// Parameters up to the next challenge: a token not followed by `=`.
    fn params(&mut self) -> Vec<(String, String)> {
        let mut params = Vec::new();

        loop {
            self.skip_separators();
            let checkpoint = self.rest;

            let name = self.token();
            self.skip_spaces();
            if name.is_empty() || !self.eat('=') {
                self.rest = checkpoint;
                return params;
            }

            self.skip_spaces();
            let value = self.value();
            params.push((name.to_ascii_lowercase(), value));
        }
    }

    /// A quoted string, unescaped, or a bare value.
    fn value(&mut self) -> String {
        if self.eat('"') {
            return self.quoted_rest();
        }

        // RFC 7235 allows only a token here, but registries have been seen
        // to send bare URLs, so take everything up to a separator.
        let end = self
            .rest
            .find([',', ' ', '\t', '"'])
            .unwrap_or(self.rest.len());
        self.take(end).to_owned()
    }

    /// The rest of a quoted string whose opening quote was eaten. A
    /// backslash quotes the next character (RFC 7230 §3.2.6 quoted-pair).
    /// A missing closing quote ends the string at the end of the header.
    fn quoted_rest(&mut self) -> String {
        let mut value = String::new();
        let mut chars = self.rest.char_indices();

        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[index + 1..];
                    return value;
                }
                '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                _ => value.push(c),
            }
        }
        self.rest = "";
        value
    }

    /// Steps over a token68 if one comes next: its characters, any `=`
    /// padding, then the end of the challenge.
    fn skip_token68(&mut self) {
        let is_token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
        let body = self.rest.trim_start_matches([' ', '\t']);
        let after_body = body.trim_start_matches(is_token68);
        if after_body.len() == body.len() {
            return;
        }

        let after = after_body
            .trim_start_matches('=')
            .trim_start_matches([' ', '\t']);
        if after.is_empty() || after.starts_with(',') {
            self.rest = after;
        }
    }

    /// An RFC 7230 token, possibly empty.
    fn token(&mut self) -> &'a str {
        let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        let end = self
            .rest
            .find(|c: char| !is_tchar(c))
            .unwrap_or(self.rest.len());
        self.take(end)
    }

    fn take(&mut self, end: usize) -> &'a str {
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        taken
    }

    fn eat(&mut self, c: char) -> bool {
        self.rest
            .strip_prefix(c)
            .map(|rest| self.rest = rest)
            .is_some()
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
    }

    fn skip_separators(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', ',']);
    }

    fn skip_past(&mut self, c: char) {
        self.rest = self.rest.split_once(c).map_or("", |(_, rest)| rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(challenge: &Challenge) -> Vec<(&str, &str)> {
        challenge
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn h1_bearer_with_quoted_unquoted_and_escaped_params() {
        let header = concat!(
            r#"Bearer realm="https://auth.example.com/token","#,
            r#"service="registry.example.com","#,
            r#"scope="repository:team/app:pull,push","#,
            r#"other=fun,"#,
            r#"slashed="he\"\l\lo""#,
        );

        let challenges = parse_challenges([header]);
        assert_eq!(challenges.len(), 1);
        let challenge = &challenges[0];
        assert_eq!(challenge.scheme, Scheme::Bearer);
        assert_eq!(challenge.realm(), Some("https://auth.example.com/token"));
        assert_eq!(challenge.service(), Some("registry.example.com"));
        assert_eq!(challenge.scope(), Some("repository:team/app:pull,push"));
        assert_eq!(challenge.param("other"), Some("fun"));
        assert_eq!(challenge.param("slashed"), Some(r#"he"llo"#));
        assert_eq!(challenge.params.len(), 5);
    }

    #[test]
    fn h2_basic_is_chosen_over_an_unsupported_scheme() {
        let challenges = parse_challenges(["Negotiate", r#"Basic realm="x""#]);
        assert_eq!(challenges.len(), 2);
        assert_eq!(challenges[0].scheme, Scheme::Other("negotiate".to_owned()));

        let chosen = select(&challenges).unwrap();
        assert_eq!(chosen.scheme, Scheme::Basic);
        assert_eq!(chosen.realm(), Some("x"));
    }

    #[test]
    fn h3_no_supported_scheme() {
        let challenges = parse_challenges(["Negotiate", r#"Digest realm="x", nonce="y""#]);
        assert_eq!(challenges.len(), 2);
        assert_eq!(challenges[1].scheme, Scheme::Other("digest".to_owned()));
        assert_eq!(challenges[1].param("nonce"), Some("y"));
        assert_eq!(select(&challenges), None);
    }

    #[test]
    fn h4_scheme_without_params() {
        let challenges = parse_challenges(["BASIC"]);
        assert_eq!(
            challenges,
            [Challenge {
                scheme: Scheme::Basic,
                params: vec![]
            }]
        );
    }

    #[test]
    fn h5_no_header_means_no_challenge() {
        assert!(parse_challenges([]).is_empty());
        assert!(parse_challenges([""]).is_empty());
        assert!(parse_challenges(["  ,  "]).is_empty());
    }

    #[test]
    fn several_challenges_in_one_header() {
        let header = r#"Negotiate YIIB==, Basic realm="basic, realm" , bearer realm=r,service=s"#;

        let challenges = parse_challenges([header]);
        let schemes: Vec<_> = challenges.iter().map(|c| c.scheme.to_string()).collect();
        assert_eq!(schemes, ["negotiate", "basic", "bearer"]);
        assert!(challenges[0].params.is_empty());
        assert_eq!(params(&challenges[1]), [("realm", "basic, realm")]);
        assert_eq!(params(&challenges[2]), [("realm", "r"), ("service", "s")]);

        assert_eq!(
            select(&challenges).unwrap().scheme,
            Scheme::Bearer,
            "bearer is preferred"
        );
    }

    #[test]
    fn names_and_schemes_are_case_insensitive() {
        let challenges = parse_challenges([r#"bEaReR Realm="a", SERVICE = "b""#]);
        assert_eq!(challenges[0].scheme, Scheme::Bearer);
        assert_eq!(params(&challenges[0]), [("realm", "a"), ("service", "b")]);
        assert_eq!(challenges[0].param("ReAlM"), Some("a"));
    }

    #[test]
    fn tolerates_malformed_headers() {
        // A bare URL value, an unterminated quote, and leading junk.
        let challenges = parse_challenges([
            "Bearer realm=https://auth.example.com/token,service=reg",
            r#"Basic realm="unterminated"#,
            r#""junk", Basic"#,
        ]);
        assert_eq!(
            challenges[0].realm(),
            Some("https://auth.example.com/token")
        );
        assert_eq!(challenges[0].service(), Some("reg"));
        assert_eq!(challenges[1].realm(), Some("unterminated"));
        assert_eq!(
            challenges[2],
            Challenge {
                scheme: Scheme::Basic,
                params: vec![]
            }
        );
        assert_eq!(challenges.len(), 3);
    }

    #[test]
    fn a_trailing_backslash_in_quotes_is_dropped() {
        let challenges = parse_challenges([r#"Basic realm="a\"#]);
        assert_eq!(challenges[0].realm(), Some("a"));
    }
}

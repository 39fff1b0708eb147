//! Pool addresses: `stratum+tcp://host:port`, parsed by hand.

use std::fmt;
use std::str::FromStr;

use super::StratumError;

/// A Stratum pool endpoint: a host name or IP address and a TCP port.
///
/// Accepted forms: `stratum+tcp://host:port`, `tcp://host:port` and a bare
/// `host:port`, with an optional trailing `/`; IPv6 addresses in brackets
/// (`stratum+tcp://[::1]:3333`). Rejected with a clear
/// [`BadUrl`](StratumError::BadUrl): TLS schemes (`stratum+ssl`,
/// `stratum+tls`, not supported), any other scheme, credentials in the URL
/// (`user:pass@host`, which would leak into logs: configure them separately),
/// paths, a missing or invalid port, and an empty or invalid host.
///
/// `Display` gives the canonical `stratum+tcp://host:port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolUrl {
    host: String,
    port: u16,
}

impl PoolUrl {
    /// An endpoint from a host (name, IPv4 or bare IPv6 address) and a port.
    pub fn new(host: &str, port: u16) -> Result<PoolUrl, StratumError> {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let shown = format!("{host}:{port}");
        check_host(host).map_err(|reason| bad(&shown, reason))?;
        if port == 0 {
            return Err(bad(&shown, "port must be between 1 and 65535"));
        }
        Ok(PoolUrl {
            host: host.to_owned(),
            port,
        })
    }

    /// Parses a pool URL; see the type documentation for the accepted forms.
    pub fn parse(url: &str) -> Result<PoolUrl, StratumError> {
        let s = url.trim();
        if s.is_empty() {
            return Err(bad(url, "empty URL (expected stratum+tcp://host:port)"));
        }
        let rest = match s.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = scheme.to_ascii_lowercase();
                match scheme.as_str() {
                    "stratum+tcp" | "tcp" => rest,
                    "stratum+ssl" | "stratum+tls" | "ssl" | "tls" => {
                        return Err(bad(url, "TLS pools are not supported (use stratum+tcp://)"))
                    }
                    _ => {
                        return Err(bad(
                            url,
                            format!("unsupported scheme {scheme:?} (expected stratum+tcp://)"),
                        ))
                    }
                }
            }
            None => s,
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('@') {
            return Err(bad_redacted(
                "credentials in the URL are not allowed (set user and password separately)",
            ));
        }
        if rest.contains(['/', '?', '#']) {
            return Err(bad(url, "a pool URL has no path, query or fragment"));
        }
        let (host, port) = if let Some(after) = rest.strip_prefix('[') {
            let (host, tail) = after
                .split_once(']')
                .ok_or_else(|| bad(url, "unterminated '[' in IPv6 address"))?;
            let port = tail
                .strip_prefix(':')
                .ok_or_else(|| bad(url, "missing port (expected [address]:port)"))?;
            (host, port)
        } else {
            match rest.rsplit_once(':') {
                Some((host, _)) if host.contains(':') => {
                    return Err(
                        if rest.parse::<std::net::Ipv6Addr>().is_ok()
                            || host.parse::<std::net::Ipv6Addr>().is_ok()
                        {
                            bad(url, "IPv6 addresses must be in brackets, e.g. [::1]:3333")
                        } else {
                            bad(url, "more than one ':' in host:port")
                        },
                    )
                }
                Some(hp) => hp,
                None => return Err(bad(url, "missing port (expected host:port)")),
            }
        };
        check_host(host).map_err(|reason| bad(url, reason))?;
        let port = parse_port(port).map_err(|reason| bad(url, reason))?;
        Ok(PoolUrl {
            host: host.to_owned(),
            port,
        })
    }

    /// The host name or IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` as `std::net::ToSocketAddrs` expects it (IPv6 in brackets).
    pub fn authority(&self) -> String {
        host_port(&self.host, self.port)
    }

    /// The same host with another port, or another host and port.
    pub(crate) fn redirect(
        &self,
        host: Option<&str>,
        port: Option<u16>,
    ) -> Result<Self, StratumError> {
        let host = host.filter(|h| !h.is_empty()).unwrap_or(&self.host);
        PoolUrl::new(host, port.unwrap_or(self.port))
    }
}

fn bad(url: &str, reason: impl Into<String>) -> StratumError {
    StratumError::BadUrl {
        url: url.to_owned(),
        reason: reason.into(),
    }
}

/// For URLs that may hold a password: the URL itself is not quoted.
fn bad_redacted(reason: &str) -> StratumError {
    StratumError::BadUrl {
        url: "<redacted>".to_owned(),
        reason: reason.to_owned(),
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    if port.is_empty() {
        return Err("missing port after ':'".to_owned());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {port:?} is not a number"));
    }
    match port.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err(format!("port {port} is out of range (1 to 65535)")),
    }
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("missing host".to_owned());
    }
    if host.len() > 253 {
        return Err("host name is longer than 253 characters".to_owned());
    }
    if host.contains(':') {
        return host
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("invalid IPv6 address {host:?}"));
    }
    match host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        Some(c) => Err(format!("invalid character {c:?} in host")),
        None => Ok(()),
    }
}

impl FromStr for PoolUrl {
    type Err = StratumError;

    fn from_str(s: &str) -> Result<Self, StratumError> {
        PoolUrl::parse(s)
    }
}

impl fmt::Display for PoolUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stratum+tcp://{}", self.authority())
    }
}

/// `host:port`, with an IPv6 host in brackets (as URLs, HTTP `Host`
/// headers and `std::net::ToSocketAddrs` want it).
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for (s, host, port) in [
            (
                "stratum+tcp://pool.example.com:3333",
                "pool.example.com",
                3333,
            ),
            (
                "STRATUM+TCP://pool.example.com:3333/",
                "pool.example.com",
                3333,
            ),
            ("tcp://127.0.0.1:1", "127.0.0.1", 1),
            ("  127.0.0.1:65535 ", "127.0.0.1", 65535),
            ("stratum+tcp://[::1]:3333", "::1", 3333),
            (
                "stratum+tcp://my_pool-1.local:4444",
                "my_pool-1.local",
                4444,
            ),
        ] {
            let u = PoolUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!((u.host(), u.port()), (host, port), "{s}");
        }
        assert_eq!(
            PoolUrl::parse("[::1]:3333").unwrap().to_string(),
            "stratum+tcp://[::1]:3333"
        );
        assert_eq!(
            PoolUrl::parse("tcp://h:1").unwrap().to_string(),
            "stratum+tcp://h:1"
        );
    }

    #[test]
    fn bad_urls_give_clear_errors() {
        for (s, want) in [
            ("", "empty URL"),
            ("   ", "empty URL"),
            ("http://pool:3333", "unsupported scheme \"http\""),
            ("stratum+ssl://pool:3333", "TLS pools are not supported"),
            ("stratum+tcp://pool", "missing port"),
            ("stratum+tcp://pool:", "missing port after ':'"),
            ("stratum+tcp://:3333", "missing host"),
            ("stratum+tcp://pool:0", "out of range"),
            ("stratum+tcp://pool:65536", "out of range"),
            ("stratum+tcp://pool:99999999999999999999", "out of range"),
            ("stratum+tcp://pool:33x3", "is not a number"),
            ("stratum+tcp://pool:-1", "is not a number"),
            ("stratum+tcp://pool:3333/path", "no path"),
            ("stratum+tcp://po ol:3333", "invalid character ' '"),
            (
                "stratum+tcp://::1:3333",
                "IPv6 addresses must be in brackets",
            ),
            ("stratum+tcp://[::1:3333", "unterminated '['"),
            ("stratum+tcp://[::1]", "missing port"),
            ("stratum+tcp://[zz::1]:3333", "invalid IPv6 address"),
            ("stratum+tcp://pool:3333:4444", "more than one ':'"),
        ] {
            let e = PoolUrl::parse(s).expect_err(s);
            let msg = e.to_string();
            assert!(msg.contains(want), "{s:?}: {msg}");
            assert!(msg.starts_with("bad pool URL"), "{s:?}: {msg}");
        }
    }

    #[test]
    fn credentials_in_url_are_rejected_without_echoing_them() {
        let e = PoolUrl::parse("stratum+tcp://worker:s3cret@pool:3333").unwrap_err();
        let msg = format!("{e} {e:?}");
        assert!(msg.contains("credentials"), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }

    #[test]
    fn redirect_keeps_what_is_missing() {
        let u = PoolUrl::parse("stratum+tcp://a.example:1000").unwrap();
        assert_eq!(
            u.redirect(None, Some(2000)).unwrap().authority(),
            "a.example:2000"
        );
        assert_eq!(
            u.redirect(Some(""), None).unwrap().authority(),
            "a.example:1000"
        );
        assert_eq!(u.redirect(Some("b"), None).unwrap().authority(), "b:1000");
        assert!(u.redirect(Some("bad host"), None).is_err());
        assert!(PoolUrl::new("x", 0).is_err());
        assert_eq!(PoolUrl::new("[::1]", 5).unwrap().authority(), "[::1]:5");
    }
}

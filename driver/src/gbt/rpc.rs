//! A small JSON-RPC client for Bitcoin Core, over HTTP/1.1.
//!
//! One TCP connection per call (`Connection: close`), Basic authentication
//! from a user and password or from Bitcoin Core's cookie file, bodies
//! framed by `Content-Length`, chunked, or the end of the connection. The
//! credentials are kept only in the `Authorization` header and never appear
//! in an error or in `Debug` output.

use super::GbtError;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Bitcoin Core's mainnet RPC port, used when the URL has none.
pub const DEFAULT_RPC_PORT: u16 = 8332;

/// Largest reply accepted (a full template with its transactions is a few
/// MB of hex).
pub const MAX_REPLY_BYTES: usize = 64 << 20;

/// A node's RPC endpoint: `http://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcUrl {
    host: String,
    port: u16,
    path: String,
}

impl RpcUrl {
    /// Parses `http://host[:port][/path]` (IPv6 hosts in brackets). A bare
    /// `host[:port]` is taken as `http://`.
    pub fn parse(url: &str) -> Result<RpcUrl, GbtError> {
        let bad = |reason: &str| GbtError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some(("https", _)) => {
                return Err(bad(
                    "https is not supported (Bitcoin Core serves RPC over plain http)",
                ))
            }
            Some((scheme, _)) => {
                return Err(bad(&format!("unknown scheme `{scheme}` (use http://)")))
            }
            None => url,
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(bad(
                "put credentials in --rpc-user/--rpc-pass or --rpc-cookie, not in the URL",
            ));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("unclosed `[` in the host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("junk after the IPv6 address")),
            };
            (h, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad(&format!("bad port `{p}`")))?,
            None => DEFAULT_RPC_PORT,
        };
        Ok(RpcUrl {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, for messages and the `Host` header.
    pub fn authority(&self) -> String {
        crate::stratum::url::host_port(&self.host, self.port)
    }
}

impl std::fmt::Display for RpcUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority(), self.path)
    }
}

/// How to authenticate to the node.
#[derive(Clone)]
pub enum RpcAuth {
    /// `rpcuser`/`rpcpassword` (or `rpcauth`) credentials.
    UserPass {
        /// User name.
        user: String,
        /// Password.
        pass: String,
    },
    /// Bitcoin Core's cookie file (`<datadir>/.cookie`, one line
    /// `__cookie__:<password>`), read at every call, since the node writes
    /// a new one each time it starts.
    Cookie(std::path::PathBuf),
}

impl std::fmt::Debug for RpcAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcAuth::UserPass { user, .. } => write!(f, "UserPass({user}, <redacted>)"),
            RpcAuth::Cookie(p) => write!(f, "Cookie({})", p.display()),
        }
    }
}

impl RpcAuth {
    /// The `Authorization` header's value.
    fn header(&self) -> Result<String, GbtError> {
        let pair = match self {
            RpcAuth::UserPass { user, pass } => format!("{user}:{pass}"),
            RpcAuth::Cookie(path) => {
                let cookie_err = |reason: String| GbtError::Cookie {
                    path: path.display().to_string(),
                    reason,
                };
                let text = std::fs::read_to_string(path).map_err(|e| cookie_err(e.to_string()))?;
                let line = text.lines().next().unwrap_or("").trim();
                if !line.contains(':') {
                    return Err(cookie_err("expected one line `user:password`".into()));
                }
                line.to_string()
            }
        };
        Ok(format!("Basic {}", base64(pair.as_bytes())))
    }
}

/// A JSON-RPC client for one node.
#[derive(Debug, Clone)]
pub struct RpcClient {
    url: RpcUrl,
    auth: RpcAuth,
    timeout: Duration,
}

impl RpcClient {
    /// A client for `url` (nothing is sent yet).
    pub fn new(url: RpcUrl, auth: RpcAuth) -> Self {
        Self {
            url,
            auth,
            timeout: Duration::from_secs(30),
        }
    }

    /// The endpoint.
    pub fn url(&self) -> &RpcUrl {
        &self.url
    }

    /// Calls `method` with `params`; its `result`, or the node's error.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, GbtError> {
        let body =
            json!({"jsonrpc": "1.0", "id": "ferrominer", "method": method, "params": params})
                .to_string();
        // The credentials first: a missing cookie file is the problem to
        // report, even when the node is down too.
        let authorization = self.auth.header()?;
        let addr = self.url.authority();
        let io = |what: &'static str| {
            let addr = addr.clone();
            move |error| GbtError::Io { addr, what, error }
        };
        let sock = (self.url.host.as_str(), self.url.port)
            .to_socket_addrs()
            .map_err(io("resolving the host"))?
            .next()
            .ok_or_else(|| GbtError::BadUrl {
                url: self.url.to_string(),
                reason: "the host has no address".into(),
            })?;
        let mut stream =
            TcpStream::connect_timeout(&sock, Duration::from_secs(10)).map_err(io("connecting"))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .map_err(io("setting a timeout"))?;
        stream
            .set_write_timeout(Some(self.timeout))
            .map_err(io("setting a timeout"))?;
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.url.path,
            addr,
            authorization,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(io("sending"))?;
        stream.write_all(body.as_bytes()).map_err(io("sending"))?;
        let mut reply = Vec::new();
        stream
            .take(MAX_REPLY_BYTES as u64 + 1)
            .read_to_end(&mut reply)
            .map_err(io("reading the reply"))?;
        let bad = |reason: String| GbtError::BadResponse {
            method: method.to_string(),
            reason,
        };
        if reply.len() > MAX_REPLY_BYTES {
            return Err(bad(format!("longer than {MAX_REPLY_BYTES} bytes")));
        }
        let (status, body) = parse_http(&reply).map_err(bad)?;
        if status == 401 {
            return Err(GbtError::Unauthorized { addr });
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| {
            bad(format!(
                "HTTP {status}, body is not JSON ({e}): {}",
                snippet(&String::from_utf8_lossy(&body))
            ))
        })?;
        match v.get("error") {
            None | Some(Value::Null) => {}
            Some(err) => {
                return Err(GbtError::Rpc {
                    method: method.to_string(),
                    code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: err
                        .get("message")
                        .and_then(Value::as_str)
                        .map_or_else(|| snippet(&err.to_string()), str::to_string),
                })
            }
        }
        if !(200..300).contains(&status) {
            return Err(bad(format!(
                "HTTP status {status} without a JSON-RPC error"
            )));
        }
        v.get("result")
            .cloned()
            .ok_or_else(|| bad("no `result` in the reply".into()))
    }
}

/// The status code and the body of an HTTP/1.x response.
fn parse_http(reply: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = find(reply, b"\r\n\r\n").ok_or("no end of the HTTP headers")?;
    let head = std::str::from_utf8(&reply[..end]).map_err(|_| "HTTP headers are not text")?;
    let rest = &reply[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    let status = match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/1.") => code
            .parse::<u16>()
            .map_err(|_| format!("bad status line `{}`", snippet(status_line)))?,
        _ => return Err(format!("not an HTTP response: `{}`", snippet(status_line))),
    };
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or_else(|| format!("body cut short: {} of {n} bytes", rest.len()))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

/// The body of a `Transfer-Encoding: chunked` message.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = find(data, b"\r\n").ok_or("chunk size line not ended")?;
        let line = std::str::from_utf8(&data[..eol]).map_err(|_| "chunk size is not text")?;
        let hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| format!("bad chunk size `{}`", snippet(hex)))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("chunk cut short")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("chunk not followed by CRLF")?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn snippet(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Standard base64 with padding (RFC 4648), for the Basic credentials.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for group in data.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        // RFC 4648, section 10.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn urls_parse_with_defaults_and_reject_junk() {
        let u = RpcUrl::parse("http://127.0.0.1:18443").unwrap();
        assert_eq!(
            (u.authority(), u.path.as_str()),
            ("127.0.0.1:18443".into(), "/")
        );
        let u = RpcUrl::parse("node.local").unwrap();
        assert_eq!(u.authority(), "node.local:8332");
        let u = RpcUrl::parse("http://[::1]:8332/wallet/x").unwrap();
        assert_eq!(
            (u.authority(), u.path.as_str()),
            ("[::1]:8332".into(), "/wallet/x")
        );
        for bad in [
            "https://h:1",
            "ftp://h",
            "http://:1",
            "http://h:0",
            "http://h:99999",
            "http://u:p@h:1",
            "http://[::1",
        ] {
            let e = RpcUrl::parse(bad).unwrap_err();
            assert!(matches!(e, GbtError::BadUrl { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn http_bodies_are_framed_by_length_chunks_or_close() {
        let (s, b) = parse_http(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcdEXTRA").unwrap();
        assert_eq!((s, b.as_slice()), (200, &b"abcd"[..]));
        let (s, b) = parse_http(
            b"HTTP/1.1 500 Internal\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((s, b.as_slice()), (500, &b"abcde"[..]));
        let (s, b) = parse_http(b"HTTP/1.0 401 Unauthorized\r\n\r\n").unwrap();
        assert_eq!((s, b.len()), (401, 0));
        assert!(parse_http(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").is_err());
        assert!(parse_http(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(
            parse_http(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }

    #[test]
    fn credentials_stay_out_of_debug_output() {
        let auth = RpcAuth::UserPass {
            user: "alice".into(),
            pass: "hunter2".into(),
        };
        let client = RpcClient::new(RpcUrl::parse("http://h:1").unwrap(), auth);
        assert!(!format!("{client:?}").contains("hunter2"));
    }
}

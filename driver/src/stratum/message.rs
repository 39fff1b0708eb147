//! Stratum v1 framing and messages: one JSON-RPC object per `\n`-terminated line.
//!
//! Requests from the client are `{"id":N,"method":"…","params":[…]}`; the
//! pool answers `{"id":N,"result":…,"error":null|[code,"message",traceback]}`
//! and pushes notifications `{"id":null,"method":"mining.notify",…}`.
//! Everything that comes from the pool is parsed defensively: junk gives a
//! [`StratumError`], never a panic.

use std::io::{self, Read};

use serde::Serialize;
use serde_json::Value;

use super::job::Notify;
use super::{snippet, StratumError};

/// Default cap on the length of one line from the pool: 64 KiB, far above
/// any real Stratum message (a notify for a block of 2^16 transactions is
/// about 2 KiB).
pub const DEFAULT_MAX_LINE_LEN: usize = 64 * 1024;

/// Splits a byte stream into lines, with a cap on the line length.
///
/// `\r\n` and `\n` both end a line; blank lines are skipped. A line longer
/// than the cap gives [`StratumError::LineTooLong`] once and is discarded up
/// to its newline, after which reading resumes normally, so memory use is
/// bounded by the cap whatever the peer sends.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    max_len: usize,
    discarding: bool,
}

impl<R: Read> LineReader<R> {
    /// Reads lines of at most `max_len` bytes (without the newline) from `inner`.
    pub fn new(inner: R, max_len: usize) -> LineReader<R> {
        LineReader {
            inner,
            buf: Vec::new(),
            max_len: max_len.max(1),
            discarding: false,
        }
    }

    /// The next non-blank line, `Ok(None)` at end of stream (a final line
    /// without a newline is dropped: the peer hung up mid-message).
    ///
    /// Errors: [`LineTooLong`](StratumError::LineTooLong),
    /// [`MalformedLine`](StratumError::MalformedLine) for invalid UTF-8 (both
    /// recoverable: call again for the next line), and
    /// [`Io`](StratumError::Io) from the underlying reader.
    pub fn read_line(&mut self) -> Result<Option<String>, StratumError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if self.discarding {
                    self.discarding = false;
                    continue;
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > self.max_len {
                    return Err(StratumError::LineTooLong {
                        limit: self.max_len,
                    });
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return match String::from_utf8(line) {
                    Ok(s) => Ok(Some(s)),
                    Err(e) => Err(StratumError::MalformedLine {
                        reason: "not valid UTF-8".to_owned(),
                        snippet: snippet(&String::from_utf8_lossy(e.as_bytes())),
                    }),
                };
            }
            if self.discarding {
                self.buf.clear();
            } else if self.buf.len() > self.max_len {
                self.buf.clear();
                self.discarding = true;
                return Err(StratumError::LineTooLong {
                    limit: self.max_len,
                });
            }
            let mut chunk = [0u8; 8192];
            match self.inner.read(&mut chunk) {
                Ok(0) => return Ok(None),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StratumError::io("reading from the pool", &e)),
            }
        }
    }
}

/// An error object from the pool, `[code, "message", traceback]` in Stratum
/// v1 (JSON-RPC 2.0 objects `{"code":…,"message":…}` and bare strings are
/// accepted too).
///
/// Common share-rejection codes: 20 other/unknown, 21 job not found (stale),
/// 22 duplicate share, 23 low difficulty share, 24 unauthorized worker,
/// 25 not subscribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// The numeric code, if the pool sent one.
    pub code: Option<i64>,
    /// The message (the whole error value as JSON if it had no message).
    pub message: String,
}

impl RpcError {
    /// Parses an `error` member; `null` (and absence) is no error.
    pub fn from_value(v: &Value) -> Option<RpcError> {
        let code_of = |c: Option<&Value>| c.and_then(Value::as_i64);
        let text_of = |m: Option<&Value>, whole: &Value| match m {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => whole.to_string(),
            Some(other) => other.to_string(),
        };
        match v {
            Value::Null => None,
            Value::Array(a) => Some(RpcError {
                code: code_of(a.first()),
                message: text_of(a.get(1), v),
            }),
            Value::Object(o) => Some(RpcError {
                code: code_of(o.get("code")),
                message: text_of(o.get("message"), v),
            }),
            Value::String(s) => Some(RpcError {
                code: None,
                message: s.clone(),
            }),
            other => Some(RpcError {
                code: None,
                message: other.to_string(),
            }),
        }
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} (code {code})", snippet(&self.message)),
            None => f.write_str(&snippet(&self.message)),
        }
    }
}

/// The pool's answer to one of the client's requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The id of the request it answers.
    pub id: u64,
    /// The `result` member (`null` if absent).
    pub result: Value,
    /// The `error` member, if not `null`.
    pub error: Option<RpcError>,
}

/// A notification or request pushed by the pool.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// `mining.notify`: a new job.
    Notify(Notify),
    /// `mining.set_difficulty`: the share difficulty for the next jobs
    /// (any positive float, including below 1).
    SetDifficulty(f64),
    /// `mining.set_extranonce`: a new extranonce1 and extranonce2 size for
    /// the next jobs.
    SetExtranonce {
        /// The new extranonce1.
        extranonce1: Vec<u8>,
        /// The new extranonce2 size in bytes.
        extranonce2_size: usize,
    },
    /// `client.reconnect`: reconnect, possibly elsewhere, after a wait.
    Reconnect {
        /// New host (`None` or empty: the same host).
        host: Option<String>,
        /// New port (`None`: the same port).
        port: Option<u16>,
        /// Seconds to wait before reconnecting.
        wait: Option<u64>,
    },
    /// `client.show_message`: a human-readable message for the operator.
    ShowMessage(String),
    /// `client.get_version`: the pool asks for the client's version.
    GetVersion,
    /// `mining.ping`: a keep-alive, answered with `"pong"`.
    Ping,
    /// Any other method.
    Unknown {
        /// The method name.
        method: String,
    },
}

/// Largest extranonce size (bytes) the client accepts from a pool.
pub const MAX_EXTRANONCE_LEN: usize = 32;

impl ServerMessage {
    /// The message for `method` with parameters `params`.
    pub fn from_method(method: &str, params: &Value) -> Result<ServerMessage, StratumError> {
        let empty = Vec::new();
        let list = match params {
            Value::Array(a) => a,
            Value::Null => &empty,
            _ => return Err(StratumError::field(method, "params", "must be an array")),
        };
        Ok(match method {
            "mining.notify" => ServerMessage::Notify(Notify::from_params(params)?),
            "mining.set_difficulty" => {
                let d = list
                    .first()
                    .and_then(number_of)
                    .ok_or_else(|| StratumError::field(method, "difficulty", "must be a number"))?;
                if !(d.is_finite() && d > 0.0) {
                    return Err(StratumError::field(
                        method,
                        "difficulty",
                        format!("must be finite and greater than 0, got {d}"),
                    ));
                }
                ServerMessage::SetDifficulty(d)
            }
            "mining.set_extranonce" => {
                let extranonce1 = hex_param(method, "extranonce1", list.first(), None)?;
                if extranonce1.len() > MAX_EXTRANONCE_LEN {
                    return Err(StratumError::field(method, "extranonce1", "too long"));
                }
                let extranonce2_size = size_param(method, "extranonce2_size", list.get(1))?;
                ServerMessage::SetExtranonce {
                    extranonce1,
                    extranonce2_size,
                }
            }
            "client.reconnect" => {
                let host = match list.first() {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(_) => return Err(StratumError::field(method, "host", "must be a string")),
                };
                let port = match list.get(1) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        number_of(v)
                            .filter(|p| p.fract() == 0.0 && (1.0..=65535.0).contains(p))
                            .map(|p| p as u16)
                            .ok_or_else(|| {
                                StratumError::field(method, "port", "must be a port number")
                            })?,
                    ),
                };
                let wait = match list.get(2) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        number_of(v)
                            .filter(|w| w.is_finite() && *w >= 0.0)
                            .map(|w| w.ceil().min(u64::MAX as f64) as u64)
                            .ok_or_else(|| {
                                StratumError::field(method, "wait", "must be a number of seconds")
                            })?,
                    ),
                };
                ServerMessage::Reconnect { host, port, wait }
            }
            "client.show_message" => ServerMessage::ShowMessage(
                list.first()
                    .and_then(Value::as_str)
                    .map(snippet)
                    .unwrap_or_default(),
            ),
            "client.get_version" => ServerMessage::GetVersion,
            "mining.ping" => ServerMessage::Ping,
            other => ServerMessage::Unknown {
                method: snippet(other),
            },
        })
    }
}

/// One line from the pool, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A response to a client request.
    Response(Response),
    /// A notification (`id` null) or request from the pool.
    Request {
        /// The request id (`null` for notifications).
        id: Value,
        /// The message.
        message: ServerMessage,
    },
}

impl Incoming {
    /// Parses one line.
    ///
    /// Errors: [`MalformedLine`](StratumError::MalformedLine) if it is not
    /// JSON, [`UnexpectedMessage`](StratumError::UnexpectedMessage) if it is
    /// JSON of the wrong shape, [`InvalidField`](StratumError::InvalidField)
    /// if a known method has bad parameters.
    pub fn parse(line: &str) -> Result<Incoming, StratumError> {
        let v: Value = serde_json::from_str(line).map_err(|e| StratumError::MalformedLine {
            reason: format!("invalid JSON: {e}"),
            snippet: snippet(line),
        })?;
        let unexpected = |reason: &str| StratumError::UnexpectedMessage {
            reason: reason.to_owned(),
            snippet: snippet(line),
        };
        let Value::Object(obj) = &v else {
            return Err(unexpected("not a JSON object"));
        };
        match obj.get("method") {
            Some(Value::String(method)) => {
                let params = obj.get("params").unwrap_or(&Value::Null);
                let message = ServerMessage::from_method(method, params)?;
                let id = obj.get("id").cloned().unwrap_or(Value::Null);
                return Ok(Incoming::Request { id, message });
            }
            Some(Value::Null) | None => {}
            Some(_) => return Err(unexpected("method is not a string")),
        }
        let id = match obj.get("id") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let error = RpcError::from_value(obj.get("error").unwrap_or(&Value::Null));
        match id {
            Some(id) if obj.contains_key("result") || error.is_some() => {
                Ok(Incoming::Response(Response {
                    id,
                    result: obj.get("result").cloned().unwrap_or(Value::Null),
                    error,
                }))
            }
            Some(_) => Err(unexpected("response has neither result nor error")),
            None if error.is_some() => Err(unexpected("error response without a request id")),
            None => Err(unexpected("neither a request nor a response")),
        }
    }
}

#[derive(Serialize)]
struct RequestLine<'a> {
    id: u64,
    method: &'a str,
    params: &'a Value,
}

#[derive(Serialize)]
struct ResponseLine<'a> {
    id: &'a Value,
    result: &'a Value,
    error: &'a Value,
}

/// A request line (without the newline): `{"id":…,"method":…,"params":…}`.
pub fn request_line(id: u64, method: &str, params: &Value) -> String {
    serde_json::to_string(&RequestLine { id, method, params }).expect("JSON values serialise")
}

/// A response line (without the newline): `{"id":…,"result":…,"error":…}`.
pub fn response_line(id: &Value, result: &Value, error: &Value) -> String {
    serde_json::to_string(&ResponseLine { id, result, error }).expect("JSON values serialise")
}

/// `mining.subscribe` parameters: the user agent, plus the session id to
/// resume (the previous extranonce1 in hex) when reconnecting.
pub fn subscribe_params(user_agent: &str, resume_session: Option<&str>) -> Value {
    match resume_session {
        Some(session) => Value::from(vec![user_agent, session]),
        None => Value::from(vec![user_agent]),
    }
}

/// `mining.authorize` parameters: worker name and password.
pub fn authorize_params(user: &str, password: &str) -> Value {
    Value::from(vec![user, password])
}

/// A JSON number, or a string holding one (some pools quote numbers).
pub(crate) fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A hex string parameter, optionally of an exact byte length.
pub(crate) fn hex_param(
    method: &str,
    field: &str,
    v: Option<&Value>,
    len: Option<usize>,
) -> Result<Vec<u8>, StratumError> {
    let s = v
        .and_then(Value::as_str)
        .ok_or_else(|| StratumError::field(method, field, "must be a hex string"))?;
    if let Some(len) = len {
        if s.len() != 2 * len {
            return Err(StratumError::field(
                method,
                field,
                format!("must be {} hex digits, got {}", 2 * len, s.chars().count()),
            ));
        }
    }
    hex::decode(s).map_err(|e| StratumError::field(method, field, format!("invalid hex: {e}")))
}

/// A 32-bit field sent as 8 hex digits, big-endian.
pub(crate) fn u32_param(method: &str, field: &str, v: Option<&Value>) -> Result<u32, StratumError> {
    let b = hex_param(method, field, v, Some(4))?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn size_param(method: &str, field: &str, v: Option<&Value>) -> Result<usize, StratumError> {
    v.and_then(Value::as_u64)
        .filter(|&n| n as usize <= MAX_EXTRANONCE_LEN)
        .map(|n| n as usize)
        .ok_or_else(|| {
            StratumError::field(
                method,
                field,
                format!("must be an integer from 0 to {MAX_EXTRANONCE_LEN}"),
            )
        })
}

/// The id of the `mining.notify` subscription in a `mining.subscribe`
/// result's first element (`[["mining.notify", id], ...]`, or one pair not
/// nested), which cgminer offers back as the session id when it
/// reconnects. `None` if there is none, or it is not a short string.
pub fn notify_subscription_id(result: &Value) -> Option<String> {
    let subs = result.as_array()?.first()?.as_array()?;
    let pair_id = |p: &Value| -> Option<String> {
        let p = p.as_array()?;
        if p.first()?.as_str()? != "mining.notify" {
            return None;
        }
        let id = p.get(1)?.as_str()?;
        (!id.is_empty() && id.len() <= 64).then(|| id.to_string())
    };
    pair_id(&Value::Array(subs.clone())).or_else(|| subs.iter().find_map(pair_id))
}

/// Parses the result of `mining.subscribe`: `[subscriptions, extranonce1, extranonce2_size]`.
pub fn parse_subscribe_result(result: &Value) -> Result<(Vec<u8>, usize), StratumError> {
    const M: &str = "mining.subscribe result";
    let list = result
        .as_array()
        .ok_or_else(|| StratumError::field(M, "result", "must be an array"))?;
    if list.len() < 3 {
        return Err(StratumError::field(
            M,
            "result",
            format!("must have 3 elements, got {}", list.len()),
        ));
    }
    let extranonce1 = hex_param(M, "extranonce1", list.get(1), None)?;
    if extranonce1.len() > MAX_EXTRANONCE_LEN {
        return Err(StratumError::field(M, "extranonce1", "too long"));
    }
    let size = size_param(M, "extranonce2_size", list.get(2))?;
    Ok((extranonce1, size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(input: &[u8], max: usize) -> Vec<Result<String, StratumError>> {
        let mut r = LineReader::new(input, max);
        let mut out = Vec::new();
        loop {
            match r.read_line() {
                Ok(Some(l)) => out.push(Ok(l)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    #[test]
    fn framing_splits_lines_and_skips_blank_ones() {
        let got = lines(b"a\r\n\n  \nb\nc", 10);
        assert_eq!(got, vec![Ok("a".into()), Ok("b".into())]);
    }

    #[test]
    fn over_long_line_is_reported_once_and_skipped() {
        let mut input = b"ok1\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100_000));
        input.extend(b"\nok2\n");
        let got = lines(&input, 1000);
        assert_eq!(
            got,
            vec![
                Ok("ok1".into()),
                Err(StratumError::LineTooLong { limit: 1000 }),
                Ok("ok2".into())
            ]
        );
        assert!(got[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("exceeds the 1000-byte limit"));
        // A long line arriving in one chunk with its newline.
        let got = lines(b"0123456789abc\nok\n", 10);
        assert_eq!(
            got,
            vec![
                Err(StratumError::LineTooLong { limit: 10 }),
                Ok("ok".into())
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_malformed_not_fatal() {
        let got = lines(b"\xff\xfe{}\nok\n", 100);
        assert!(matches!(got[0], Err(StratumError::MalformedLine { .. })));
        assert_eq!(got[1], Ok("ok".into()));
    }

    #[test]
    fn parses_responses_and_errors() {
        let r = Incoming::parse(r#"{"id":4,"result":true,"error":null}"#).unwrap();
        assert_eq!(
            r,
            Incoming::Response(Response {
                id: 4,
                result: json!(true),
                error: None
            })
        );
        let r =
            Incoming::parse(r#"{"id":"5","result":null,"error":[23,"Low difficulty share",null]}"#)
                .unwrap();
        let Incoming::Response(r) = r else { panic!() };
        assert_eq!(r.id, 5);
        let e = r.error.unwrap();
        assert_eq!(e.code, Some(23));
        assert_eq!(e.to_string(), "Low difficulty share (code 23)");
        let e = RpcError::from_value(&json!({"code": 21, "message": "Stale"})).unwrap();
        assert_eq!((e.code, e.message.as_str()), (Some(21), "Stale"));
        let e = RpcError::from_value(&json!("nope")).unwrap();
        assert_eq!((e.code, e.message.as_str()), (None, "nope"));
    }

    #[test]
    fn parses_difficulty_reconnect_extranonce() {
        let m = |s: &str| match Incoming::parse(s).unwrap() {
            Incoming::Request { message, .. } => message,
            r => panic!("{r:?}"),
        };
        assert_eq!(
            m(r#"{"id":null,"method":"mining.set_difficulty","params":[0.001]}"#),
            ServerMessage::SetDifficulty(0.001)
        );
        assert_eq!(
            m(r#"{"id":null,"method":"mining.set_difficulty","params":[1024]}"#),
            ServerMessage::SetDifficulty(1024.0)
        );
        assert_eq!(
            m(r#"{"id":null,"method":"mining.set_difficulty","params":["0.5"]}"#),
            ServerMessage::SetDifficulty(0.5)
        );
        assert_eq!(
            m(r#"{"id":null,"method":"client.reconnect","params":["pool2.example","3334",5]}"#),
            ServerMessage::Reconnect {
                host: Some("pool2.example".into()),
                port: Some(3334),
                wait: Some(5)
            }
        );
        assert_eq!(
            m(r#"{"id":7,"method":"client.reconnect","params":[]}"#),
            ServerMessage::Reconnect {
                host: None,
                port: None,
                wait: None
            }
        );
        assert_eq!(
            m(r#"{"id":null,"method":"mining.set_extranonce","params":["0a0b",6]}"#),
            ServerMessage::SetExtranonce {
                extranonce1: vec![10, 11],
                extranonce2_size: 6
            }
        );
        assert_eq!(
            m(r#"{"id":1,"method":"client.get_version","params":[]}"#),
            ServerMessage::GetVersion
        );
        assert_eq!(
            m(r#"{"id":7,"method":"mining.ping","params":[]}"#),
            ServerMessage::Ping
        );
        assert_eq!(
            m(r#"{"id":null,"method":"mining.pong"}"#),
            ServerMessage::Unknown {
                method: "mining.pong".into()
            }
        );
    }

    #[test]
    fn junk_gives_clear_errors() {
        for (line, want) in [
            ("{not json", "malformed line from the pool (invalid JSON"),
            ("[1,2,3]", "not a JSON object"),
            ("{}", "neither a request nor a response"),
            (r#"{"id":1}"#, "neither result nor error"),
            (
                r#"{"id":null,"error":[20,"x",null]}"#,
                "without a request id",
            ),
            (r#"{"method":5}"#, "method is not a string"),
            (
                r#"{"id":null,"method":"mining.set_difficulty","params":[0]}"#,
                "invalid difficulty in mining.set_difficulty: must be finite and greater than 0",
            ),
            (
                r#"{"id":null,"method":"mining.set_difficulty","params":[-1]}"#,
                "must be finite and greater than 0",
            ),
            (
                r#"{"id":null,"method":"mining.set_difficulty","params":"x"}"#,
                "invalid params in mining.set_difficulty: must be an array",
            ),
            (
                r#"{"id":null,"method":"client.reconnect","params":["h",70000,0]}"#,
                "invalid port in client.reconnect",
            ),
            (
                r#"{"id":null,"method":"mining.notify","params":[1,2]}"#,
                "invalid params in mining.notify: must have at least 9 elements, got 2",
            ),
        ] {
            let e = Incoming::parse(line).expect_err(line);
            assert!(e.to_string().contains(want), "{line}: {e}");
        }
        let long = format!("{{{}", "x".repeat(10_000));
        let e = Incoming::parse(&long).unwrap_err().to_string();
        assert!(e.len() < 400, "the error quotes only a snippet: {e}");
    }

    #[test]
    fn subscribe_result() {
        let (e1, n) = parse_subscribe_result(&json!([
            [["mining.set_difficulty", "1"], ["mining.notify", "1"]],
            "08000002",
            4
        ]))
        .unwrap();
        assert_eq!((e1, n), (vec![8, 0, 0, 2], 4));
        assert!(parse_subscribe_result(&json!([[], "zz", 4])).is_err());
        assert!(parse_subscribe_result(&json!([[], "00", 99])).is_err());
        assert!(parse_subscribe_result(&json!(true)).is_err());
    }

    #[test]
    fn notify_subscription_ids() {
        let id = |v: Value| notify_subscription_id(&v);
        // ckpool and most pools: a list of pairs.
        assert_eq!(
            id(json!([
                [["mining.set_difficulty", "a"], ["mining.notify", "b1"]],
                "00",
                4
            ])),
            Some("b1".into())
        );
        // Some pools: one pair, not nested.
        assert_eq!(
            id(json!([["mining.notify", "c2"], "00", 4])),
            Some("c2".into())
        );
        // None given, or junk.
        assert_eq!(id(json!([[], "00", 4])), None);
        assert_eq!(id(json!([null, "00", 4])), None);
        assert_eq!(id(json!([[["mining.notify", 7]], "00", 4])), None);
        assert_eq!(id(json!("x")), None);
    }

    #[test]
    fn request_lines_snapshot() {
        insta::assert_snapshot!(
            request_line(1, "mining.subscribe", &subscribe_params("ferrominer/0.1.0", None)),
            @r#"{"id":1,"method":"mining.subscribe","params":["ferrominer/0.1.0"]}"#
        );
        insta::assert_snapshot!(
            request_line(1, "mining.subscribe", &subscribe_params("ferrominer/0.1.0", Some("08000002"))),
            @r#"{"id":1,"method":"mining.subscribe","params":["ferrominer/0.1.0","08000002"]}"#
        );
        insta::assert_snapshot!(
            request_line(2, "mining.authorize", &authorize_params("alice.rig1", "x")),
            @r#"{"id":2,"method":"mining.authorize","params":["alice.rig1","x"]}"#
        );
        insta::assert_snapshot!(
            response_line(&json!(9), &json!("ferrominer/0.1.0"), &Value::Null),
            @r#"{"id":9,"result":"ferrominer/0.1.0","error":null}"#
        );
    }
}
